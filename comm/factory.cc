#include "comm/factory.h"

#include <mpi.h>

#include <fmt/format.h>

#include "comm/local/local_communicator.h"
#include "comm/mpi/mpi_communicator.h"
#include "runtime/build_config.h"

#if TESSERA_HAVE_NCCL
#include "comm/nccl/nccl_communicator.h"
#endif

namespace tessera::comm {
namespace {

bool mpi_running() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized != 0 && finalized == 0;
}

ConfigError backend_error(const std::string& value, const std::string& rule) {
  return ConfigError({ConfigIssue{.key = "runtime.backend", .value = value, .rule = rule}});
}

}  // namespace

CommConfig comm_config_from(const runtime::RuntimeConfig& runtime) {
  CommConfig config;
  config.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(runtime.comm_timeout);
  config.debug = runtime.comm_debug;
  return config;
}

std::string available_backends() { return TESSERA_HAVE_NCCL ? "mpi nccl local" : "mpi local"; }

std::string resolve_backend(const runtime::RuntimeConfig& runtime,
                            const runtime::LaunchInfo& launch) {
  const std::string& backend = runtime.backend;
  const bool cuda = runtime.device == "cuda";
  if (backend == "auto") {
    if (cuda) {
      if (!TESSERA_HAVE_NCCL) {
        throw backend_error(backend,
                            "runtime.device is cuda, which needs the nccl backend, but this "
                            "build has TESSERA_WITH_NCCL=OFF; rebuild with -DTESSERA_WITH_CUDA=ON "
                            "-DTESSERA_WITH_NCCL=ON (cmake --preset cuda) or set runtime.device: cpu");
      }
      return "nccl";
    }
    if (mpi_running()) {
      return "mpi";
    }
    if (launch.size == 1) {
      return "local";
    }
    throw backend_error(backend, fmt::format("{} processes were started without MPI wire-up "
                                             "(under srun use --mpi=pmix, or mpirun)",
                                             launch.size));
  }
  if (backend == "mpi") {
    if (!mpi_running()) {
      throw backend_error(backend, "MPI is not running in this process: start the job with "
                                   "mpirun or srun --mpi=pmix");
    }
    return backend;
  }
  if (backend == "nccl") {
    if (!TESSERA_HAVE_NCCL) {
      throw backend_error(backend,
                          "this build has TESSERA_WITH_NCCL=OFF; rebuild with "
                          "-DTESSERA_WITH_CUDA=ON -DTESSERA_WITH_NCCL=ON (cmake --preset cuda) "
                          "or set runtime.backend: mpi");
    }
    return backend;
  }
  if (backend == "local") {
    if (launch.size != 1) {
      throw backend_error(backend, fmt::format("the local backend runs ranks as threads of one "
                                               "process, but this launch has {} processes; use "
                                               "runtime.backend: mpi",
                                               launch.size));
    }
    return backend;
  }
  throw backend_error(backend, "must be one of: auto, mpi, nccl, local");
}

std::unique_ptr<Communicator> make_communicator(const runtime::RuntimeConfig& runtime,
                                                const runtime::LaunchInfo& launch) {
  return make_communicator(runtime, launch, comm_config_from(runtime));
}

std::unique_ptr<Communicator> make_communicator(const runtime::RuntimeConfig& runtime,
                                                const runtime::LaunchInfo& launch,
                                                CommConfig config) {
  const std::string backend = resolve_backend(runtime, launch);
  if (backend == "mpi") {
    return MpiCommunicator::create(MPI_COMM_WORLD, std::move(config));
  }
  if (backend == "local") {
    return std::make_unique<LocalCommunicator>(std::make_shared<LocalWorld>(1), 0,
                                               std::move(config));
  }
#if TESSERA_HAVE_NCCL
  if (backend == "nccl") {
    return NcclCommunicator::create_for_launch(launch, std::move(config));
  }
#endif
  throw InternalError(fmt::format("make_communicator: unhandled backend '{}'", backend));
}

}  // namespace tessera::comm
