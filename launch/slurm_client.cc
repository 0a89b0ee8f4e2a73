#include "launch/slurm_client.h"

#include <charconv>
#include <cstdlib>
#include <map>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/error.h"

extern char** environ;  // NOLINT: POSIX

namespace tessera::launch {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) {
    text.remove_prefix(1);
  }
  return text;
}

bool is_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' ||
         c == '/' || c == '_';
}

}  // namespace

SlurmJob parse_scontrol_job(std::string_view line) {
  // Tokens are separated by spaces; a token without "Key=" continues the
  // previous value (a job name or path with spaces).
  std::map<std::string, std::string, std::less<>> fields;
  std::string* last = nullptr;
  std::size_t pos = 0;
  line = trim(line);
  while (pos <= line.size()) {
    std::size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) {
      end = line.size();
    }
    std::string_view token = line.substr(pos, end - pos);
    pos = end + 1;
    if (token.empty()) {
      continue;
    }
    std::size_t eq = token.find('=');
    bool keyed = eq != std::string_view::npos && eq > 0;
    for (std::size_t i = 0; keyed && i < eq; ++i) {
      keyed = is_key_char(token[i]);
    }
    if (keyed) {
      last = &fields[std::string(token.substr(0, eq))];
      *last = std::string(token.substr(eq + 1));
    } else if (last != nullptr) {
      *last += ' ';
      *last += token;
    }
  }
  auto get = [&fields](std::string_view key) {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  };
  SlurmJob job;
  job.id = get("JobId");
  job.name = get("JobName");
  job.state = get("JobState");
  job.reason = get("Reason");
  std::string restarts = get("Restarts");
  std::from_chars(restarts.data(), restarts.data() + restarts.size(), job.restarts);
  job.run_time = get("RunTime");
  job.time_limit = get("TimeLimit");
  job.exit_code = get("ExitCode");
  job.partition = get("Partition");
  job.nodes = get("NodeList");
  job.std_out = get("StdOut");
  return job;
}

std::optional<long> parse_slurm_duration(std::string_view text) {
  long days = 0;
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + dash, days);
    if (ec != std::errc() || end != text.data() + dash) {
      return std::nullopt;
    }
    text.remove_prefix(dash + 1);
  }
  long total = 0;
  int parts = 0;
  while (!text.empty()) {
    auto colon = text.find(':');
    std::string_view part = text.substr(0, colon);
    long value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) {
      return std::nullopt;
    }
    total = total * 60 + value;
    ++parts;
    text = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  }
  if (parts != 3) {
    return std::nullopt;
  }
  return days * 86400 + total;
}

ProgramResult run_program(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  ProgramResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw IoError(fmt::format("pipe: {}", system_message(errno)));
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw IoError(fmt::format("pipe: {}", system_message(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: posix_spawn does not write them
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    result.exit_code = 127;
    result.err = fmt::format("cannot run {}: {}", argv[0], system_message(rc));
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (::poll(fds, 2, static_cast<int>(std::min<long>(left.count(), 1000))) < 0 &&
        errno != EINTR) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buffer[4096];
        ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0) {
          sinks[i]->append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open_fds;
        }
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) {
      ::close(p.fd);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (killed) {
    result.err +=
        fmt::format("\n{} did not finish within {} s and was killed", argv[0], timeout.count());
  }
  return result;
}

std::string find_program(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (true) {
    auto colon = dirs.find(':');
    std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
    if (colon == std::string_view::npos) {
      return {};
    }
    dirs.remove_prefix(colon + 1);
  }
}

bool SlurmClient::available() {
  return !find_program("sbatch").empty() && !find_program("scontrol").empty();
}

std::string SlurmClient::submit(const std::filesystem::path& script) const {
  ProgramResult r = run_program({"sbatch", "--parsable", script.string()});
  std::string_view out = trim(r.out);
  // --parsable prints "<id>" or "<id>;<cluster>".
  std::string_view id = out.substr(0, out.find(';'));
  long number = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), number);
  if (r.exit_code != 0 || id.empty() || ec != std::errc() || end != id.data() + id.size()) {
    throw Error(fmt::format(
        "sbatch refused {} (exit status {}): {}",
        script.string(),
        r.exit_code,
        trim(r.err.empty() ? r.out : r.err)));
  }
  return std::string(id);
}

std::optional<SlurmJob> SlurmClient::job(std::string_view id) const {
  ProgramResult r =
      run_program({"scontrol", "show", "job", "-o", std::string(id)}, std::chrono::seconds(20));
  if (r.exit_code != 0 || trim(r.out).empty()) {
    return std::nullopt;
  }
  std::string_view out = trim(r.out);
  SlurmJob job = parse_scontrol_job(out.substr(0, out.find('\n')));
  if (job.id != id) {
    return std::nullopt;
  }
  return job;
}

}  // namespace tessera::launch
