#pragma once

// Session: what main owns for the commands that run on every rank (run,
// doctor): the detected launch, the MPI session when MPI can be used, and the
// control-plane coordinator.

#include <functional>
#include <memory>
#include <string_view>

#include "runtime/coordinator.h"
#include "runtime/launch_info.h"
#include "runtime/mpi_session.h"

namespace tessera::runtime {

// Makes the coordinator for several processes that MPI cannot connect
// (torchrun-style RANK/WORLD_SIZE/MASTER_ADDR, srun without --mpi=pmix).
// comm::make_store_coordinator is one (a TCP store on MASTER_ADDR:MASTER_PORT);
// runtime cannot name it (comm sits above runtime), so callers pass it.
using CoordinatorFactory = std::function<std::unique_ptr<Coordinator>(const LaunchInfo&)>;

class Session {
 public:
  // Detects the launch and starts MPI when the launcher wired it up (mpirun,
  // srun --mpi=pmix) or when running alone. Sets up console logging. Without
  // MPI, a launch of several processes gets its coordinator from
  // `without_mpi` when given (else a one-process coordinator, and callers
  // refuse to run).
  static std::unique_ptr<Session> start(int* argc, char*** argv, std::string_view log_level = "info",
                                        const CoordinatorFactory& without_mpi = {});

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
