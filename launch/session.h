#pragma once

// Session: what main owns for the commands that run on every rank (run,
// doctor): the detected launch, the MPI session when MPI can be used, and the
// control-plane coordinator.

#include <memory>

#include "runtime/coordinator.h"
#include "runtime/launch_info.h"
#include "runtime/mpi_session.h"

namespace tessera::launch {

class Session {
 public:
  // Detects the launch and starts MPI when the launcher wired it up (mpirun,
  // srun --mpi=pmix) or when running alone. Sets up console logging.
  static std::unique_ptr<Session> start(int* argc, char*** argv, std::string_view log_level = "info");

  runtime::LaunchInfo& launch() { return launch_; }
  runtime::Coordinator& coordinator() { return *coordinator_; }
  // nullptr when MPI is not in use.
  const runtime::MpiSession* mpi() const { return mpi_.get(); }

 private:
  runtime::LaunchInfo launch_;
  std::unique_ptr<runtime::MpiSession> mpi_;
  std::unique_ptr<runtime::Coordinator> coordinator_;
};

}  // namespace tessera::launch
