#include "datasets/pipe_source.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "runtime/error.h"

extern char** environ;  // NOLINT: POSIX

namespace tessera::datasets {

PipeSource::PipeSource(std::string url, const std::string& command, config::Seconds timeout)
    : ByteSource(std::move(url)), command_(command), timeout_(timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw DataError(this->url(), "", 0, "pipe failed: " + system_message(errno));
  }
  char err_template[] = "/tmp/tessera-pipe-stderr-XXXXXX";
  err_fd_ = ::mkostemp(err_template, O_CLOEXEC);
  if (err_fd_ >= 0) {
    ::unlink(err_template);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  if (err_fd_ >= 0) {
    posix_spawn_file_actions_adddup2(&actions, err_fd_, STDERR_FILENO);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  const char* argv[] = {"/bin/sh", "-c", command_.c_str(), nullptr};
  int rc = posix_spawn(&pid_, "/bin/sh", &actions, &attr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    if (err_fd_ >= 0) {
      ::close(err_fd_);
    }
    throw DataError(this->url(), "", 0, "cannot start /bin/sh: " + system_message(rc));
  }
  out_fd_ = fds[0];
}

PipeSource::~PipeSource() {
  if (pid_ > 0) {
    reap(/*kill_first=*/true);
  }
  if (out_fd_ >= 0) {
    ::close(out_fd_);
  }
  if (err_fd_ >= 0) {
    ::close(err_fd_);
  }
}

void PipeSource::reap(bool kill_first) {
  if (kill_first) {
    ::kill(-pid_, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (kill_first) {
    return;
  }
  if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 141)) {
    return;
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) {
    return;
  }
  std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                      : fmt::format("was killed by signal {}", WTERMSIG(status));
  std::string err = stderr_tail();
  throw DataError(url(), "", offset_,
                  fmt::format("command '{}' {}{}", command_, how, err.empty() ? "" : "; stderr: " + err));
}

std::string PipeSource::stderr_tail() const {
  if (err_fd_ < 0) {
    return {};
  }
  off_t size = ::lseek(err_fd_, 0, SEEK_END);
  const off_t start = std::max<off_t>(0, size - 2000);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  ssize_t n = ::pread(err_fd_, text.data(), text.size(), start);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::size_t PipeSource::read(std::span<std::byte> dst) {
  if (eof_) {
    return 0;
  }
  const int timeout_ms = static_cast<int>(std::min(timeout_.count() * 1000.0, 2.0e9));
  for (;;) {
    pollfd p{out_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      throw DataError(url(), "", offset_,
                      fmt::format("command '{}' produced no output for {} s", command_, timeout_.count()));
    }
    ssize_t n = ::read(out_fd_, dst.data(), dst.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw DataError(url(), "", offset_, "read from command failed: " + system_message(errno));
    }
    if (n == 0) {
      eof_ = true;
      reap(/*kill_first=*/false);  // throws when the command failed
      return 0;
    }
    offset_ += static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }
}

void PipeSource::finish() {
  std::byte sink[16384];
  while (read(sink) > 0) {
  }
}

}  // namespace tessera::datasets
