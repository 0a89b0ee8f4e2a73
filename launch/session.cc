#include "launch/session.h"

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/log.h"
#include "runtime/mpi_coordinator.h"

namespace tessera::launch {

std::unique_ptr<Session> Session::start(int* argc, char*** argv, std::string_view log_level) {
  auto session = std::make_unique<Session>();
  session->launch_ = runtime::detect_launch(runtime::current_environment(), runtime::host_name());
  runtime::LaunchInfo& info = session->launch_;
  // Open MPI aborts in MPI_Init when srun started it without PMIx, so only
  // initialise MPI where the launcher wired it (or for a lone process).
  const bool can_use_mpi = info.mpi_wired || info.launcher == runtime::Launcher::kNone;
  if (can_use_mpi) {
    session->mpi_ = std::make_unique<runtime::MpiSession>(argc, argv);
    session->mpi_->refine(info);
    session->coordinator_ = std::make_unique<runtime::MpiCoordinator>();
  } else {
    session->coordinator_ = std::make_unique<runtime::SoloCoordinator>();
  }
  runtime::configure_logging({.rank = info.rank, .size = info.size, .level = log_level});
  return session;
}

}  // namespace tessera::launch
