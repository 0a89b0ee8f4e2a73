#include "tests/testing/subprocess.h"

#include "tests/testing/running_job.h"

namespace tessera::testing {

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::seconds timeout,
                          const std::string& cwd, const std::vector<std::string>& env) {
  return RunningJob(argv, env, cwd).wait(timeout);
}

std::vector<std::string> mpirun(int ranks) {
  // Root and 4 ranks on 2 cores need these switches (ci/mpi-env.sh explains each).
  return {"mpirun",         "--allow-run-as-root", "--oversubscribe",      "--bind-to",
          "none",           "--mca",               "mpi_yield_when_idle", "1",
          "-np",            std::to_string(ranks)};
}

}  // namespace tessera::testing
