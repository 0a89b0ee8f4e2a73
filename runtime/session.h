#pragma once

// Session: what main owns for the commands that run on every rank (run,
// doctor): the detected launch, the MPI session when MPI can be used, and the
// control-plane coordinator.

#include <memory>

#include <string_view>

#include "runtime/coordinator.h"
#include "runtime/launch_info.h"
#include "runtime/mpi_session.h"

namespace tessera::runtime {

class Session {
 public:
  // Detects the launch and starts MPI when the launcher wired it up (mpirun,
  // srun --mpi=pmix) or when running alone. Sets up console logging.
  static std::unique_ptr<Session> start(int* argc, char*** argv, std::string_view log_level = "info");

  LaunchInfo& launch() { return launch_; }
  Coordinator& coordinator() { return *coordinator_; }
  // nullptr when MPI is not in use.
  const MpiSession* mpi() const { return mpi_.get(); }

 private:
  LaunchInfo launch_;
  std::unique_ptr<MpiSession> mpi_;
  std::unique_ptr<Coordinator> coordinator_;
};

}  // namespace tessera::runtime
