#include "tests/testing/running_job.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/testing/process_tree.h"

namespace tessera::testing {

RunningJob::RunningJob(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const std::string& cwd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      std::fprintf(stderr, "chdir %s: %s\n", cwd.c_str(), std::strerror(errno));
      ::_exit(127);
    }
    for (const std::string& entry : env) {
      ::putenv(const_cast<char*>(entry.c_str()));  // NOLINT: the child owns its copy
    }
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));  // NOLINT
    }
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  fd_ = fds[0];
  reader_ = std::thread([this] {
    char buffer[4096];
    for (;;) {
      ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return;
      }
      std::lock_guard lock(mutex_);
      output_.append(buffer, static_cast<std::size_t>(n));
    }
  });
}

RunningJob::~RunningJob() {
  if (!exited_) {
    signal_tree(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
  if (reader_.joinable()) {
    reader_.join();
  }
  ::close(fd_);
}

std::string RunningJob::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

bool RunningJob::wait_for(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(text) != std::string::npos) {
      return true;
    }
    if (!exited_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) {
      exited_ = true;
    }
    if (exited_) {
      return output().find(text) != std::string::npos;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

bool RunningJob::running() {
  if (!exited_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) {
    exited_ = true;
  }
  return !exited_;
}

std::vector<pid_t> RunningJob::ranks() const {
  std::vector<pid_t> out;
  const std::string task_dir = "/proc/" + std::to_string(pid_) + "/task";
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(task_dir, ec)) {
    std::ifstream in(task.path() / "children");
    pid_t child = 0;
    while (in >> child) {
      out.push_back(child);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

CommandResult RunningJob::wait(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exited_) {
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
      exited_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      signal_tree(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      exited_ = true;
      std::lock_guard lock(mutex_);
      output_ += "\n[killed after timeout]\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Stragglers of the group would hold the pipe open; then read to its end.
  ::kill(-pid_, SIGKILL);
  if (reader_.joinable()) {
    reader_.join();
  }
  CommandResult result;
  result.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  result.output = output();
  return result;
}

}  // namespace tessera::testing
