// Stopping and coming back under Slurm: a signal by hand (to test_state, a
// QEC sweep and a data_parallel training job), a preemption by an urgent job,
// a time limit shorter than the work (reached through Slurm's warning signal,
// and through checkpoint.before_time_limit). Each job checkpoints, requeues
// itself and resumes, and ends in exactly the state of a run that was never
// interrupted. The jobs were started by the Scenarios environment
// (scenarios.h) so that Slurm's timers for all of them run at once.

#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "launch/batch_script.h"
#include "runtime/metrics_writer.h"
#include "tests/slurm/scenarios.h"
#include "tests/slurm/slurm_cluster.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// The checks every interrupted job must pass.
void expect_resumed_to_the_uninterrupted_result(const ScenarioJob& job, const std::string& reason) {
  ASSERT_FALSE(job.id.empty()) << "not submitted";
  launch::SlurmJob end = wait_for_end(job.id, 300s);
  const std::string slurm_log = read_text(launch::slurm_output_file(job.run_dir, job.id));
  const std::string rank0_log = read_text(job.run_dir / "logs/rank-00000.log");
  ASSERT_EQ(end.state, "COMPLETED") << job.started << "\n" << slurm_log;
  EXPECT_GE(end.restarts, 1) << job.started << "\n" << slurm_log;
  // Each run logged its start (the log is appended to, not truncated).
  EXPECT_THAT(slurm_log, HasSubstr("Slurm job " + job.id + " start, restart 0"));
  EXPECT_THAT(slurm_log, HasSubstr("Slurm job " + job.id + " start, restart 1"));
  // Run 1 stopped on the signal with a checkpoint and requeued itself; run 2 resumed.
  EXPECT_THAT(rank0_log, HasSubstr("stopping after step"));
  EXPECT_THAT(rank0_log, HasSubstr(reason));
  EXPECT_THAT(rank0_log, HasSubstr("requeued Slurm job " + job.id));
  EXPECT_THAT(rank0_log, HasSubstr("Slurm job " + job.id + " restart 1"));
  EXPECT_THAT(rank0_log, HasSubstr("resuming from"));
  EXPECT_THAT(rank0_log, HasSubstr("job '" + job.run_dir.filename().string() + "' finished"));
}

// test_state's final arrays, RNG states and data positions of every rank: bit for bit.
void expect_the_uninterrupted_final_state(const ScenarioJob& job) {
  EXPECT_EQ(final_state(job.run_dir), scenarios().reference_final_state(job.steps));
}

TEST(Requeue, ScancelUsr1MakesTheJobCheckpointRequeueAndResumeToTheSameResult) {
  expect_resumed_to_the_uninterrupted_result(scenarios().signalled, "SIGUSR1 received");
  expect_the_uninterrupted_final_state(scenarios().signalled);
}

TEST(Requeue, ScancelUsr1StopsAQecSweepWhichResumesToTheSameCounts) {
  const ScenarioJob& job = scenarios().sweep;
  expect_resumed_to_the_uninterrupted_result(job, "SIGUSR1 received");
  EXPECT_THAT(
      read_text(job.run_dir / "logs/rank-00000.log"),
      HasSubstr("sweep: stop signal received; finishing the chunks in flight"));
  // Shots and errors of every task: exactly those of a sweep never stopped.
  EXPECT_EQ(sweep_counts(job.run_dir), scenarios().reference_sweep_counts());
}

TEST(Requeue, ScancelUsr1StopsATrainingJobWhichResumesToTheSameParameters) {
  const ScenarioJob& job = scenarios().training;
  expect_resumed_to_the_uninterrupted_result(job, "SIGUSR1 received");
  const std::string rank0_log = read_text(job.run_dir / "logs/rank-00000.log");
  EXPECT_THAT(rank0_log, HasSubstr("stopped after step"));
  EXPECT_THAT(rank0_log, HasSubstr("resumed from"));
  EXPECT_THAT(rank0_log, HasSubstr(fmt::format("trained after {} steps", kTrainingSteps)));
  // Every weight and bias of the final checkpoint: bit for bit those of an
  // uninterrupted `srun -n 2` run of the same job.
  const std::filesystem::path reference = scenarios().reference_training_run();
  ASSERT_FALSE(reference.empty());
  const std::map<std::string, std::vector<float>> expected = model_parameters(reference);
  const std::map<std::string, std::vector<float>> actual = model_parameters(job.run_dir);
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [name, values] : expected) {
    EXPECT_TRUE(values == actual.at(name)) << name << " differs after USR1, requeue and resume";
  }
  // The loss series continues exactly where the stopped run left it.
  EXPECT_EQ(
      runtime::read_metric(job.run_dir / "metrics.h5", "loss").values,
      runtime::read_metric(reference / "metrics.h5", "loss").values);
}

TEST(Requeue, PreemptionByAnUrgentJobCheckpointsRequeuesAndResumesToTheSameResult) {
  EXPECT_EQ(scenarios().preemptor_state, "COMPLETED") << scenarios().preempted.started;
  expect_resumed_to_the_uninterrupted_result(scenarios().preempted, "SIGUSR1 received");
  expect_the_uninterrupted_final_state(scenarios().preempted);
}

TEST(Requeue, ATimeLimitShorterThanTheWorkIsCrossedThroughRequeues) {
  const ScenarioJob& job = scenarios().time_limited;
  expect_resumed_to_the_uninterrupted_result(job, "SIGUSR1 received");
  expect_the_uninterrupted_final_state(job);
  // No run could have done it alone: 130 steps of 0.5 s under a 1-minute limit.
  launch::SlurmJob end = wait_for_end(job.id, 1s);
  EXPECT_EQ(end.time_limit, "00:01:00");
}

TEST(Requeue, BeforeTimeLimitStopsInTimeAndTheRequeuesFinishTheWork) {
  const ScenarioJob& job = scenarios().deadline;
  expect_resumed_to_the_uninterrupted_result(job, "the Slurm time limit is near");
  expect_the_uninterrupted_final_state(job);
  // It never needed Slurm's own warning.
  EXPECT_THAT(
      read_text(job.run_dir / "logs/rank-00000.log"),
      ::testing::Not(HasSubstr("SIGUSR1 received")));
}

}  // namespace
}  // namespace tessera::testing
