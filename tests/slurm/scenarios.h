#pragma once

// The slurm tests whose jobs wait on Slurm's ~30-second timers (requeues,
// time limits) are started together, before any test runs, so their waits
// overlap; the tests in requeue_test.cc then wait for them and check.
//
//   preempted     test_state, preempted by a job in the "urgent" partition
//   signalled     test_state, sent `scancel --signal=USR1` while running
//   time_limited  test_state with 65 s of work under a 1-minute time limit,
//                 stopped by Slurm's warning signal
//   deadline      the same work, stopped by checkpoint.before_time_limit
//   sweep         a QEC sweep (qec job) sent `scancel --signal=USR1` while sampling
//   training      a tiny data_parallel job on converted Fashion-MNIST shards, sent
//                 `scancel --signal=USR1` after its first checkpoint
//
// The preemption happens first and is over (the urgent job has finished)
// before the others are submitted, so it preempts nothing else; later tests
// run steps beside these jobs, and nothing else preempts anything.

#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "launch/slurm_client.h"
#include "tests/testing/temp_dir.h"

namespace tessera::testing {

struct ScenarioJob {
  std::filesystem::path config;   // the job's YAML
  std::filesystem::path run_dir;  // its output.dir
  std::string id;                 // Slurm job id ("" if submitting failed)
  std::int64_t steps = 0;         // test_state steps
  std::string started;            // what happened while starting it (for failure messages)
};

class Scenarios final : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  ScenarioJob preempted;
  ScenarioJob signalled;
  ScenarioJob time_limited;
  ScenarioJob deadline;
  ScenarioJob sweep;
  ScenarioJob training;
  std::string preemptor_id;     // the urgent job
  std::string preemptor_state;  // its final state

  // The final state of an uninterrupted 2-rank run of `steps` steps (srun).
  std::vector<std::pair<std::string, std::string>> reference_final_state(std::int64_t steps);
  // (shots, errors) per task of an uninterrupted 2-rank run of the sweep (srun).
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> reference_sweep_counts();
  // Fashion-MNIST shards of 2,048 train and test images (4 + 4), converted once
  // with `tessera data convert`; "" (with a test failure) if that failed.
  std::filesystem::path training_shards();
  // The run directory of an uninterrupted `srun -n 2 --mpi=pmix tessera run`
  // of the training job (run once; it checks the run said "on 2 ranks via srun").
  std::filesystem::path reference_training_run();

 private:
  ScenarioJob submit_state_job(
      const std::string& name,
      std::int64_t steps,
      double step_seconds,
      const std::vector<std::string>& args);
  // Starts `tessera data convert` for training_shards() in the background.
  void start_converting_shards();

  std::optional<TempDir> dir_{
      std::in_place};  // reset in TearDown (gtest never deletes environments)
  std::map<std::int64_t, std::vector<std::pair<std::string, std::string>>> references_;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> sweep_reference_;
  std::future<launch::ProgramResult> converting_;
  std::filesystem::path shards_;
  std::filesystem::path training_reference_;
};

// The environment main() registered.
Scenarios& scenarios();

// test_state's YAML for a scenario: `steps` steps of `step_seconds`,
// announcing each step (so tests can see it run) into `run_dir`.
std::string state_job_yaml(
    const std::string& name,
    std::int64_t steps,
    double step_seconds,
    const std::filesystem::path& run_dir);

// A repetition-code sweep (qec job) of ~10 CPU-seconds into `run_dir` (long
// enough that a signal sent once it has journaled a chunk lands mid-sweep).
std::string sweep_job_yaml(const std::string& name, const std::filesystem::path& run_dir);

// A data_parallel job small enough for the slurm tests: a 784-64-10 MLP,
// kTrainingSteps steps of a global batch of 64 over `shards` (enough that a
// signal sent after the first checkpoint lands mid-run on an idle machine), one torch thread per rank
// (bitwise repeatable), a checkpoint every 25 steps, into `run_dir`.
inline constexpr int kTrainingSteps = 1000;
inline constexpr int kTrainingLogEvery = 10;
std::string training_job_yaml(
    const std::string& name,
    const std::filesystem::path& shards,
    const std::filesystem::path& run_dir);

// Every model parameter in a run's newest checkpoint, by name.
std::map<std::string, std::vector<float>> model_parameters(const std::filesystem::path& run_dir);

// (shots, errors) per task id in a sweep's results.h5.
std::map<std::string, std::pair<std::int64_t, std::int64_t>> sweep_counts(
    const std::filesystem::path& run_dir);

}  // namespace tessera::testing
