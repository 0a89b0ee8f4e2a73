#pragma once

// make_communicator: the job's world communicator, from its config.
//
//   runtime:
//     backend: auto          # auto | mpi | nccl | local
//     device: cpu            # cpu | cuda
//     comm_timeout: 10min
//     comm_debug: false
//
// auto picks nccl for device cuda (in a build with NCCL), else mpi when MPI
// is running (mpirun, srun --mpi=pmix, or a lone process), else local for a
// lone process. Nothing falls back silently: a backend this build lacks, or
// one the launch cannot support, is a ConfigError saying what to change.
// This is the only code that branches on the build's backend switches.

#include <memory>
#include <string>

#include "comm/comm_config.h"
#include "comm/communicator.h"
#include "runtime/job_spec.h"
#include "runtime/launch_info.h"

namespace tessera::comm {

// The CommConfig that runtime.comm_timeout / comm_debug describe.
CommConfig comm_config_from(const runtime::RuntimeConfig& runtime);

// The backend `runtime.backend` resolves to for this launch and build
// ("mpi", "nccl", "local"). Throws ConfigError when none fits.
std::string resolve_backend(const runtime::RuntimeConfig& runtime,
                            const runtime::LaunchInfo& launch);

// Collective over every process of the launch: the world communicator.
std::unique_ptr<Communicator> make_communicator(const runtime::RuntimeConfig& runtime,
                                                const runtime::LaunchInfo& launch);

// Same, with an explicit CommConfig (tests use a short timeout and their own
// timeout handler).
std::unique_ptr<Communicator> make_communicator(const runtime::RuntimeConfig& runtime,
                                                const runtime::LaunchInfo& launch,
                                                CommConfig config);

// The build's backends, for `tessera version` / doctor: "mpi local" or
// "mpi nccl local".
std::string available_backends();

}  // namespace tessera::comm
