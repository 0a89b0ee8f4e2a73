// Steps started with srun on the local cluster: the ranks tessera sees, and
// what doctor says about right and wrong launches.

#include <map>

#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "runtime/metrics_writer.h"
#include "tests/slurm/scenarios.h"
#include "tests/slurm/slurm_cluster.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(Srun, TwoTasksWithPmixAreTwoRanksOfOneJob) {
  TempDir dir;
  write_text(dir / "count.yaml", "job: test_count\nname: c\nsteps: 5\n");
  auto r = run_command(with(
      srun(2),
      {TESSERA_TEST_BIN,
       "run",
       (dir / "count.yaml").string(),
       "output.dir=" + (dir / "run").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("job 'c' (test_count) on 2 ranks via srun"));
  EXPECT_THAT(r.output, HasSubstr("Slurm job "));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/logs/rank-00000.log"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/logs/rank-00001.log"));
  // Every step was agreed on by both ranks.
  runtime::MetricSeries agreed = runtime::read_metric(dir / "run/metrics.h5", "agreed_step");
  EXPECT_EQ(agreed.values, (std::vector<double>{1, 2, 3, 4, 5}));
}

TEST(Srun, AQecSweepOnTwoRanksFinishesEveryTask) {
  // Runs `srun -n 2 --mpi=pmix tessera run` of the sweep (and checks it said
  // "on 2 ranks via srun" and "6 tasks over 2 ranks").
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts =
      scenarios().reference_sweep_counts();
  ASSERT_EQ(counts.size(), 6U);
  for (const auto& [id, shots_errors] : counts) {
    // Every task reached a limit: 4,000,000 shots or 3,000 errors.
    EXPECT_TRUE(shots_errors.first >= 4000000 || shots_errors.second >= 3000) << id;
  }
}

TEST(Srun, ATrainingJobOnTwoRanksTrainsToTheEndAndWritesItsMetrics) {
  // Runs `srun -n 2 --mpi=pmix tessera run` of a tiny data_parallel job (and
  // checks it said "on 2 ranks via srun" and "trained after N steps").
  const std::filesystem::path run = scenarios().reference_training_run();
  ASSERT_FALSE(run.empty());
  EXPECT_TRUE(std::filesystem::exists(run / "logs/rank-00000.log"));
  EXPECT_TRUE(std::filesystem::exists(run / "logs/rank-00001.log"));
  // The loss every kTrainingLogEvery steps, falling; the final evaluation; the last checkpoint.
  runtime::MetricSeries loss = runtime::read_metric(run / "metrics.h5", "loss");
  ASSERT_EQ(loss.values.size(), static_cast<std::size_t>(kTrainingSteps / kTrainingLogEvery));
  EXPECT_LT(loss.values.back(), loss.values.front());
  EXPECT_EQ(runtime::read_metric(run / "metrics.h5", "eval/accuracy").values.size(), 1U);
  EXPECT_EQ(read_text(run / "checkpoints/LATEST").substr(0, 13), fmt::format("step-{:08d}", kTrainingSteps));
  EXPECT_FALSE(model_parameters(run).empty());
}

TEST(Srun, DoctorWithPmixSeesEveryRankAndTheSlurmJob) {
  auto r = run_command(with(srun(2), {TESSERA_BIN, "doctor"}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tessera doctor: 2 ranks, launcher srun"));
  EXPECT_THAT(r.output, HasSubstr("0/2"));
  EXPECT_THAT(r.output, HasSubstr("1/2"));
  EXPECT_THAT(r.output, HasSubstr("MPI plugin pmix"));
  EXPECT_THAT(r.output, HasSubstr("no problems found"));
}

TEST(Srun, DoctorWithoutPmixExplainsTheFixOnce) {
  auto r = run_command({"srun", "-n", "2", "-t", "3", TESSERA_BIN, "doctor"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("srun started 2 processes that are not connected"));
  EXPECT_THAT(r.output, HasSubstr("srun --mpi=pmix"));
  EXPECT_THAT(r.output, HasSubstr("SLURM_MPI_TYPE=pmix"));
  // Both processes see it; one says it.
  EXPECT_EQ(count(r.output, "problem: "), 1U) << r.output;
  // tessera does not let Open MPI abort with its own message.
  EXPECT_THAT(r.output, Not(HasSubstr("An error occurred in MPI_Init")));
}

TEST(Srun, DoctorWithPmi2ExplainsThatOpenMpiNeedsPmix) {
  auto r = run_command({"srun", "-n", "2", "-t", "3", "--mpi=pmi2", TESSERA_BIN, "doctor"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--mpi=pmi2, which Open MPI cannot use"));
  EXPECT_EQ(count(r.output, "problem: "), 1U) << r.output;
}

TEST(Srun, RunWithoutPmixFailsBeforeStartingWithOneMessage) {
  TempDir dir;
  write_text(dir / "count.yaml", "job: test_count\nsteps: 2\n");
  auto r = run_command(
      {"srun",
       "-n",
       "2",
       "-t",
       "3",
       TESSERA_TEST_BIN,
       "run",
       (dir / "count.yaml").string(),
       "output.dir=" + (dir / "run").string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(count(r.output, "error: srun started 2 processes that MPI cannot connect"), 1U)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run"));
}

TEST(Batch, DoctorRunInTheBatchScriptItselfSaysOnlyOneProcessWasStarted) {
  TempDir dir;
  launch::ProgramResult r = launch::run_program(
      {"sbatch",
       "--parsable",
       "-n",
       "2",
       "-t",
       "3",
       "-o",
       (dir / "out").string(),
       "--wrap",
       std::string(TESSERA_BIN) + " doctor"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  launch::SlurmJob end =
      wait_for_end(r.out.substr(0, r.out.find_first_of(";\n")), std::chrono::seconds(120));
  EXPECT_EQ(end.exit_code, "1:0");
  const std::string out = read_text(dir / "out");
  EXPECT_THAT(out, HasSubstr("tessera doctor: 1 rank, launcher none"));
  EXPECT_THAT(out, HasSubstr("running directly in the batch script"));
  EXPECT_THAT(out, HasSubstr("srun --mpi=pmix tessera"));
}

}  // namespace
}  // namespace tessera::testing
