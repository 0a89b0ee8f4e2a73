#include "tests/testing/subprocess.h"

#include "tests/testing/process_tree.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

extern char** environ;  // NOLINT: POSIX

namespace tessera::testing {

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::seconds timeout,
                          const std::string& cwd, const std::vector<std::string>& env) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
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
  ::close(pipe_fds[1]);
  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (ready > 0) {
      ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
      if (n <= 0) {
        break;
      }
      result.output.append(buffer, static_cast<std::size_t>(n));
    }
  }
  if (timed_out) {
    signal_tree(pid, SIGKILL);  // mpirun's ranks live in process groups of their own
    ::kill(-pid, SIGKILL);
    result.output += "\n[run_command: killed after timeout]\n";
  }
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::vector<std::string> mpirun(int ranks) {
  // Root and 4 ranks on 2 cores need these switches (ci/mpi-env.sh explains each).
  return {"mpirun",         "--allow-run-as-root", "--oversubscribe",      "--bind-to",
          "none",           "--mca",               "mpi_yield_when_idle", "1",
          "-np",            std::to_string(ranks)};
}

}  // namespace tessera::testing
