// checkpoint.before_time_limit under a real (local) Slurm: the end time comes
// from `squeue -o %L` (Slurm 22.05 sets no SLURM_JOB_END_TIME), the job stops
// ahead of it with a checkpoint and exit code 3. Skipped without a cluster
// (ci/slurm-up.sh starts one). Requeue and resume under Slurm are covered by
// tests/slurm (requeue_test.cc).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "runtime/checkpoint/checkpoint_catalog.h"
#include "runtime/checkpoint/manifest.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

using ::testing::HasSubstr;

TEST(CheckpointSlurm, BeforeTimeLimitStopsWithACheckpointAheadOfTheJobsEnd) {
  testing::CommandResult ping = testing::run_command({"sh", "-c", "scontrol ping 2>&1"}, std::chrono::seconds(20));
  if (ping.exit_code != 0 || ping.output.find("is UP") == std::string::npos) {
    GTEST_SKIP() << "no Slurm cluster answers (`scontrol ping`: " << ping.output
                 << "); ci/slurm-up.sh starts one";
  }
  testing::TempDir tmp;
  testing::write_text(tmp / "job.yaml",
                      "job: test_state\nname: tl\nsteps: 1000000\nstep_time: 0.01s\nannounce: true\n"
                      "checkpoint: {every_steps: 500, before_time_limit: 50s}\n");
  // A 1-minute limit and a 50 s margin: the stop comes about 10 s in.
  const std::string wrap = fmt::format("srun --mpi=pmix '{}' run '{}' 'output.dir={}'", TESSERA_TEST_BIN,
                                       (tmp / "job.yaml").string(), (tmp / "run").string());
  testing::CommandResult r = testing::run_command(
      {"sbatch", "--wait", "-N1", "-n2", "-t", "1", "-o", (tmp / "slurm.out").string(), "--chdir",
       tmp.path().string(), "--wrap", wrap},
      std::chrono::seconds(240));
  const std::string log = testing::read_text(tmp / "slurm.out");
  EXPECT_EQ(r.exit_code, 3) << r.output << log;
  EXPECT_THAT(log, HasSubstr("checkpoint.before_time_limit: will stop 50s before the job's end"));
  EXPECT_THAT(log, HasSubstr("the Slurm time limit is near"));
  std::optional<std::filesystem::path> latest = runtime::read_latest(tmp / "run/checkpoints");
  ASSERT_TRUE(latest.has_value()) << log;
  EXPECT_EQ(runtime::verify_checkpoint(*latest), "");
  EXPECT_THAT(log, HasSubstr(fmt::format("test_state step {}\n", runtime::read_manifest(*latest).step)));
}

}  // namespace
}  // namespace tessera
