#pragma once

// Running a command as a user would type it, for e2e tests.

#include <chrono>
#include <string>
#include <vector>

namespace tessera::testing {

struct CommandResult {
  int exit_code = -1;   // the exit status, or 128 + signal when killed
  std::string output;   // stdout and stderr, interleaved
};

// Runs `argv` (no shell) in `cwd` (empty: the current directory) with extra
// environment `env` ("KEY=VALUE"), killing it after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::seconds timeout = std::chrono::seconds(120),
                          const std::string& cwd = {},
                          const std::vector<std::string>& env = {});

// The mpirun command line prefix for `ranks` ranks on this machine, as root
// or not, oversubscribed if need be.
std::vector<std::string> mpirun(int ranks);

}  // namespace tessera::testing
