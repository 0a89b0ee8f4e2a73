// tessera submit and tessera status where no cluster is needed: the dry run,
// refusals before anything reaches Slurm, and the status of a local run.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_command;

TEST(SubmitCli, DryRunPrintsTheBatchScriptAndWritesNothing) {
  testing::TempDir dir;
  testing::write_text(
      dir / "job.yaml",
      "job: test_count\nname: dry\nslurm: {partition: batch, setup: [module load x]}\n");
  auto r = run_command(
      {TESSERA_TEST_BIN,
       "submit",
       "job.yaml",
       "steps=7",
       "--ntasks-per-node",
       "4",
       "--time",
       "00:30:00",
       "--dry-run"},
      std::chrono::seconds(60),
      dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string run = (dir / "runs/dry").string();
  EXPECT_THAT(r.output, HasSubstr("#!/bin/bash\n"));
  EXPECT_THAT(r.output, HasSubstr("#SBATCH --job-name=dry\n"));
  EXPECT_THAT(r.output, HasSubstr("#SBATCH --ntasks-per-node=4\n"));
  EXPECT_THAT(r.output, HasSubstr("#SBATCH --time=00:30:00\n"));
  EXPECT_THAT(r.output, HasSubstr("#SBATCH --partition=batch\n"));
  EXPECT_THAT(r.output, HasSubstr("#SBATCH --signal=USR1@120\n"));
  EXPECT_THAT(r.output, HasSubstr("#SBATCH --requeue\n#SBATCH --open-mode=append\n"));
  EXPECT_THAT(r.output, HasSubstr("#SBATCH --output=" + run + "/logs/slurm-%j.out\n"));
  EXPECT_THAT(r.output, HasSubstr("module load x\n"));
  EXPECT_THAT(r.output, HasSubstr("srun --mpi=pmix --kill-on-bad-exit=1 "));
  EXPECT_THAT(r.output, HasSubstr(" run " + run + "/submit.yaml checkpoint.resume=auto\n"));
  EXPECT_FALSE(std::filesystem::exists(dir / "runs"));
}

TEST(SubmitCli, ABadConfigIsRefusedWithEveryProblem) {
  testing::TempDir dir;
  testing::write_text(dir / "bad.yaml", "job: test_count\nsteps: 0\nslurm: {time: soon}\n");
  auto r = run_command({TESSERA_TEST_BIN, "submit", (dir / "bad.yaml").string(), "--dry-run"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("2 problems; nothing was submitted"));
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:2: steps = 0 (must be >= 1)"));
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:3: slurm.time = soon (must be a Slurm time"));
}

TEST(SubmitCli, WithoutSlurmsCommandsItSaysWhatIsMissing) {
  testing::TempDir dir;
  testing::write_text(dir / "job.yaml", "job: test_count\n");
  auto r = run_command(
      {TESSERA_TEST_BIN, "submit", "job.yaml"},
      std::chrono::seconds(60),
      dir.path().string(),
      {"PATH=/nonexistent"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("sbatch/scontrol not found on PATH"));
  EXPECT_THAT(r.output, HasSubstr("--dry-run"));
}

TEST(StatusCli, ALocalRunShowsProgressMetricsCheckpointAndStarts) {
  testing::TempDir dir;
  testing::write_text(
      dir / "job.yaml", "job: test_state\nname: local\nsteps: 12\ncheckpoint: {every_steps: 5}\n");
  auto run = run_command(
      {TESSERA_TEST_BIN, "run", "job.yaml"}, std::chrono::seconds(120), dir.path().string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto r = run_command({TESSERA_TEST_BIN, "status", (dir / "runs/local").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("job 'local' (test_state)"));
  EXPECT_THAT(r.output, HasSubstr("not submitted with tessera submit"));
  EXPECT_THAT(r.output, HasSubstr("step 12/12 (100.0%)"));
  EXPECT_THAT(r.output, HasSubstr("metrics     step 12: local_sum "));
  EXPECT_THAT(r.output, HasSubstr("checkpoint  step-00000012"));
  EXPECT_THAT(r.output, HasSubstr("1 (Slurm restarts 0)"));
  EXPECT_THAT(r.output, HasSubstr("finished"));
  EXPECT_THAT(r.output, Not(HasSubstr("last issue")));
}

TEST(StatusCli, ADirectoryThatIsNoRunIsAnError) {
  testing::TempDir dir;
  auto r = run_command({TESSERA_TEST_BIN, "status", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("is not a run directory"));
}

}  // namespace
}  // namespace tessera
