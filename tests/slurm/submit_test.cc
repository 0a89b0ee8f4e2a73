// tessera submit against the local cluster: what lands in the run directory,
// what Slurm is asked for, and tessera status along the way.

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "launch/batch_script.h"
#include "tests/slurm/scenarios.h"
#include "tests/slurm/slurm_cluster.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

std::string status_of(const std::filesystem::path& run_dir) {
  CommandResult r = run_command({TESSERA_TEST_BIN, "status", run_dir.string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

TEST(Submit, AJobRunsToTheEndWithItsOutputsInTheRunDirectoryAndIsNotRequeued) {
  TempDir dir;
  write_text(dir / "job.yaml", state_job_yaml("plain", 40, 0.1, dir / "run"));
  Submission job = submit(dir / "job.yaml", {"--ntasks-per-node", "2", "--time", "5"});
  ASSERT_FALSE(job.id.empty());
  EXPECT_THAT(
      job.output,
      HasSubstr("Slurm log      " + launch::slurm_output_file(dir / "run", job.id).string()));

  // While it runs, status says so.
  EXPECT_TRUE(eventually(
      [&] { return status_of(dir / "run").find(" RUNNING on ") != std::string::npos; }, 60s))
      << status_of(dir / "run");

  launch::SlurmJob end = wait_for_end(job.id, 120s);
  EXPECT_EQ(end.state, "COMPLETED");
  EXPECT_EQ(end.exit_code, "0:0");
  EXPECT_EQ(end.restarts, 0);  // a job that finishes normally does not requeue

  for (const char* file :
       {"submit.sh",
        "submit.yaml",
        "config.yaml",
        "metrics.h5",
        "logs/rank-00000.log",
        "logs/rank-00001.log",
        "checkpoints/LATEST",
        "final/rank-00000.bin",
        "final/rank-00001.bin",
        "slurm-jobs.txt"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / file)) << file;
  }
  const std::string slurm_log = read_text(launch::slurm_output_file(dir / "run", job.id));
  EXPECT_THAT(slurm_log, HasSubstr("Slurm job " + job.id + " start, restart 0"));
  EXPECT_THAT(slurm_log, HasSubstr("on 2 ranks via srun"));
  EXPECT_THAT(slurm_log, HasSubstr("ranks ended with status 0"));
  EXPECT_THAT(read_text(dir / "run/logs/rank-00000.log"), Not(HasSubstr("requeued")));
  EXPECT_EQ(final_state(dir / "run"), scenarios().reference_final_state(40));

  const std::string status = status_of(dir / "run");
  EXPECT_THAT(status, HasSubstr("job " + job.id + " COMPLETED"));
  EXPECT_THAT(status, HasSubstr("0 restarts"));
  EXPECT_THAT(status, HasSubstr("step 40/40 (100.0%)"));
  EXPECT_THAT(status, HasSubstr("step-00000040"));
  EXPECT_THAT(status, HasSubstr("1 (Slurm restarts 0)"));
  EXPECT_THAT(status, HasSubstr("finished"));
}

TEST(Submit, TheYamlSlurmSectionGivesDefaultsAndTheCommandLineWins) {
  TempDir dir;
  write_text(
      dir / "job.yaml",
      "job: test_count\nsteps: 3\noutput: {dir: " + (dir / "run").string() +
          "}\nslurm: {ntasks_per_node: 2, time: \"00:04:00\", partition: debug}\n");
  Submission job = submit(dir / "job.yaml", {"--time", "3"});
  ASSERT_FALSE(job.id.empty());
  launch::SlurmJob end = wait_for_end(job.id, 120s);
  EXPECT_EQ(end.state, "COMPLETED");
  EXPECT_EQ(end.time_limit, "00:03:00");
  EXPECT_EQ(end.partition, "debug");
  EXPECT_THAT(
      read_text(launch::slurm_output_file(dir / "run", job.id)), HasSubstr("on 2 ranks via srun"));
}

TEST(Submit, MpirunInsideTheAllocationStartsTheRanks) {
  TempDir dir;
  write_text(
      dir / "job.yaml",
      "job: test_count\nsteps: 3\noutput: {dir: " + (dir / "run").string() +
          "}\nslurm: {launcher: mpirun}\n");
  Submission job = submit(dir / "job.yaml", {"--ntasks-per-node", "2", "--time", "3"});
  ASSERT_FALSE(job.id.empty());
  EXPECT_EQ(wait_for_end(job.id, 120s).state, "COMPLETED")
      << read_text(launch::slurm_output_file(dir / "run", job.id));
  EXPECT_THAT(
      read_text(launch::slurm_output_file(dir / "run", job.id)),
      HasSubstr("on 2 ranks via mpirun"));
}

TEST(Submit, ARunDirectoryWithAJobStillQueuedOrRunningIsRefused) {
  TempDir dir;
  write_text(dir / "job.yaml", state_job_yaml("busy", 600, 0.1, dir / "run"));
  Submission first = submit(dir / "job.yaml", {"--time", "5"});
  ASSERT_FALSE(first.id.empty());
  CommandResult again =
      run_command({TESSERA_TEST_BIN, "submit", (dir / "job.yaml").string(), "--time", "5"});
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_THAT(again.output, HasSubstr("job " + first.id + " of run directory"));
  EXPECT_THAT(again.output, HasSubstr("scancel " + first.id));
  launch::run_program({"scancel", first.id});
  EXPECT_EQ(wait_for_end(first.id, 60s).state, "CANCELLED");
}

TEST(Submit, ABadConfigIsRefusedBeforeAnythingIsQueued) {
  TempDir dir;
  write_text(
      dir / "bad.yaml",
      "job: test_count\nsteps: 0\noutput: {dir: " + (dir / "run").string() + "}\n");
  auto queued = [] {
    std::string ids = launch::run_program({"squeue", "-h", "-o", "%i"}).out;
    std::vector<std::string> sorted;
    for (std::size_t at = 0, end; at < ids.size(); at = end + 1) {
      end = std::min(ids.find('\n', at), ids.size());
      sorted.push_back(ids.substr(at, end - at));
    }
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  };
  const std::vector<std::string> before = queued();
  CommandResult r =
      run_command({TESSERA_TEST_BIN, "submit", (dir / "bad.yaml").string(), "--nodes", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("nothing was submitted"));
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:2: steps = 0 (must be >= 1)"));
  EXPECT_THAT(r.output, HasSubstr("slurm.nodes = 0 (must be >= 1)"));
  EXPECT_FALSE(std::filesystem::exists(dir / "run"));
  EXPECT_EQ(queued(), before);
}

TEST(Submit, SlurmsOwnRefusalIsReported) {
  TempDir dir;
  write_text(dir / "job.yaml", "job: test_count\noutput: {dir: " + (dir / "run").string() + "}\n");
  CommandResult r = run_command(
      {TESSERA_TEST_BIN, "submit", (dir / "job.yaml").string(), "--partition", "nosuch"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("sbatch refused"));
  EXPECT_THAT(r.output, HasSubstr("invalid partition"));
}

}  // namespace
}  // namespace tessera::testing
