#pragma once

// A command running in the background (mpirun and its ranks), for tests
// that interrupt jobs: wait for a line of output, signal or kill ranks, then
// collect the exit status.

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/subprocess.h"

namespace tessera::testing {

class RunningJob {
 public:
  // Starts `argv` (no shell) in its own process group, with extra `env`
  // ("KEY=VALUE"), in `cwd` (empty: the current directory).
  explicit RunningJob(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                      const std::string& cwd = {});
  // Kills mpirun and its ranks (signal_tree) if still running.
  ~RunningJob();
  RunningJob(const RunningJob&) = delete;
  RunningJob& operator=(const RunningJob&) = delete;

  pid_t pid() const { return pid_; }
  // Everything printed so far (stdout and stderr).
  std::string output() const;
  // Waits until the output contains `text`; false on timeout or exit.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout);
  // True until the command has exited.
  bool running();
  // The processes mpirun started (its children), in pid order.
  std::vector<pid_t> ranks() const;
  // Waits for the exit (killing the tree after `timeout`).
  CommandResult wait(std::chrono::seconds timeout = std::chrono::seconds(120));

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  int status_ = 0;
  mutable std::mutex mutex_;
  std::string output_;
  std::thread reader_;
};

}  // namespace tessera::testing
