#include "runtime/session.h"

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/log.h"
#include "runtime/mpi_coordinator.h"

namespace tessera::runtime {

std::unique_ptr<Session> Session::start(int* argc, char*** argv, std::string_view log_level,
                                       const CoordinatorFactory& without_mpi) {
  auto session = std::make_unique<Session>();
  session->launch_ = detect_launch(current_environment(), host_name());
  LaunchInfo& info = session->launch_;
  // Open MPI aborts in MPI_Init when srun started it without PMIx, so only
  // initialise MPI where the launcher wired it (or for a lone process).
  const bool can_use_mpi = info.mpi_wired || info.launcher == Launcher::kNone;
  if (can_use_mpi) {
    session->mpi_ = std::make_unique<MpiSession>(argc, argv);
    session->mpi_->refine(info);
    session->coordinator_ = std::make_unique<MpiCoordinator>();
  } else if (info.size > 1 && without_mpi) {
    session->coordinator_ = without_mpi(info);
  } else {
    session->coordinator_ = std::make_unique<SoloCoordinator>();
  }
  configure_logging({.rank = info.rank, .size = info.size, .level = log_level});
  return session;
}

}  // namespace tessera::runtime
