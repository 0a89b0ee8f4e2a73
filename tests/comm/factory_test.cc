// Choosing the backend from runtime.backend, and the errors that say how to
// fix a choice this build or launch cannot honour. (A lone test process has
// not started MPI, so `auto` resolves to local here.)

#include "comm/factory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/build_config.h"

namespace tessera::comm {
namespace {

using ::testing::HasSubstr;

runtime::RuntimeConfig with_backend(std::string backend, std::string device = "cpu") {
  runtime::RuntimeConfig config;
  config.backend = std::move(backend);
  config.device = std::move(device);
  return config;
}

std::string config_error(const runtime::RuntimeConfig& config, const runtime::LaunchInfo& launch) {
  try {
    (void)resolve_backend(config, launch);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Factory, AutoWithoutMpiInALoneProcessIsLocal) {
  runtime::LaunchInfo alone;
  EXPECT_EQ(resolve_backend(with_backend("auto"), alone), "local");
  std::unique_ptr<Communicator> comm = make_communicator(with_backend("auto"), alone);
  EXPECT_EQ(comm->backend_name(), "local");
  EXPECT_EQ(comm->size(), 1);
  std::vector<float> v{1.0F, 2.0F};
  comm->all_reduce(as_buffer(v), {.op = ReduceOp::kAvg}).wait();
  EXPECT_EQ(v, (std::vector<float>{1.0F, 2.0F}));
}

TEST(Factory, MpiWithoutMpiRunningSaysHowToLaunch) {
  runtime::LaunchInfo alone;
  EXPECT_THAT(config_error(with_backend("mpi"), alone),
              HasSubstr("runtime.backend = mpi (MPI is not running in this process: start the job "
                        "with mpirun or srun --mpi=pmix)"));
}

TEST(Factory, SeveralProcessesWithoutMpiWireUpAreAnError) {
  runtime::LaunchInfo srun;
  srun.launcher = runtime::Launcher::kSrun;
  srun.size = 4;
  EXPECT_THAT(config_error(with_backend("auto"), srun), HasSubstr("--mpi=pmix"));
  EXPECT_THAT(config_error(with_backend("local"), srun),
              HasSubstr("runs ranks as threads of one process, but this launch has 4 processes"));
}

TEST(Factory, NcclInABuildWithoutItSaysHowToRebuild) {
  if (TESSERA_HAVE_NCCL) {
    GTEST_SKIP() << "this build has NCCL; the error only exists without it";
  }
  runtime::LaunchInfo alone;
  EXPECT_THAT(config_error(with_backend("nccl"), alone),
              HasSubstr("TESSERA_WITH_NCCL=OFF; rebuild with -DTESSERA_WITH_CUDA=ON "
                        "-DTESSERA_WITH_NCCL=ON"));
  EXPECT_THAT(config_error(with_backend("auto", "cuda"), alone), HasSubstr("runtime.device: cpu"));
}

TEST(Factory, UnknownBackendListsTheChoices) {
  runtime::LaunchInfo alone;
  EXPECT_THAT(config_error(with_backend("gloo"), alone),
              HasSubstr("must be one of: auto, mpi, nccl, local"));
}

TEST(Factory, CommConfigComesFromTheRuntimeSection) {
  runtime::RuntimeConfig runtime;
  runtime.comm_timeout = config::Seconds(2.5);
  runtime.comm_debug = true;
  CommConfig config = comm_config_from(runtime);
  EXPECT_EQ(config.timeout, std::chrono::milliseconds(2500));
  EXPECT_TRUE(config.debug);
}

}  // namespace
}  // namespace tessera::comm
