#include "tests/slurm/scenarios.h"

#include <fmt/format.h>
#include <gmock/gmock.h>

#include "jobs/sweep/results_file.h"
#include "launch/batch_script.h"
#include "tests/slurm/slurm_cluster.h"
#include "tests/testing/run_results.h"
#include "tests/testing/subprocess.h"

namespace tessera::testing {
namespace {

using namespace std::chrono_literals;

// CPUs of the (single) node, so the urgent job asks for all of them.
std::string node_cpus() {
  launch::ProgramResult r = launch::run_program({"sinfo", "-h", "-p", "debug", "-o", "%c"});
  std::string cpus = r.out.substr(0, r.out.find_first_of("\n+ "));
  return cpus.empty() ? "8" : cpus;
}

// Waits until the job's Slurm log shows it working on step `step` or later.
bool wait_for_step(const ScenarioJob& job, std::int64_t step, std::chrono::seconds timeout) {
  return eventually(
      [&] {
        return file_contains(
            launch::slurm_output_file(job.run_dir, job.id),
            fmt::format("test_state step {}\n", step));
      },
      timeout);
}

}  // namespace

std::string state_job_yaml(
    const std::string& name,
    std::int64_t steps,
    double step_seconds,
    const std::filesystem::path& run_dir) {
  return fmt::format(
      "job: test_state\nname: {}\nseed: 7\nsteps: {}\nstep_time: {}s\nannounce: true\n"
      "local_size: 4096\nreplicated_size: 4096\nshard_size: 4096\n"
      "output: {{dir: {}}}\n",
      name,
      steps,
      step_seconds,
      run_dir.string());
}

std::string sweep_job_yaml(const std::string& name, const std::filesystem::path& run_dir) {
  return fmt::format(
      "job: qec\nname: {}\nseed: 5\n"
      "sweep:\n  grid: {{distance: [3, 5, 7], rounds: 10, p: [0.01, 0.02]}}\n"
      "  max_shots: 4000000\n  max_errors: 3000\n"
      "  first_chunk_shots: 1024\n  max_chunk_shots: 8192\n  flush_every: 0.3s\n"
      "qec: {{plot: false}}\noutput: {{dir: {}}}\n",
      name,
      run_dir.string());
}

std::string training_job_yaml(
    const std::string& name,
    const std::filesystem::path& shards,
    const std::filesystem::path& run_dir) {
  return fmt::format(
      "job: data_parallel\nname: {}\nseed: 3\nplot: false\n"
      "runtime: {{threads_per_rank: 1, progress_every: 1s}}\n"
      "data:\n  train: \"{}/fmnist-train-{{000000..000003}}.tar\"\n"
      "  eval: \"{}/fmnist-test-{{000000..000003}}.tar\"\n"
      "  fields: {{image: npy, label: cls}}\n"
      "  mode: stream\n  shuffle: 256\n  batch_size: 64\n"
      "model: {{kind: mlp, layers: [784, 64, 10]}}\n"
      "optim: {{kind: adam, lr: 1.0e-3}}\n"
      "train: {{steps: {}, loss: softmax_ce, log_every: {}, eval_every_epochs: 0}}\n"
      "checkpoint: {{every_steps: 50, keep: 2}}\n"
      "output: {{dir: {}}}\n",
      name,
      shards.string(),
      shards.string(),
      kTrainingSteps,
      kTrainingLogEvery,
      run_dir.string());
}

std::map<std::string, std::vector<float>> model_parameters(const std::filesystem::path& run_dir) {
  return testing::latest_checkpoint_arrays(run_dir, "model/");
}

std::map<std::string, std::pair<std::int64_t, std::int64_t>> sweep_counts(
    const std::filesystem::path& run_dir) {
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
  for (const jobs::sweep::TaskRecord& r : jobs::sweep::read_results(run_dir / "results.h5")) {
    out[r.id] = {r.total.counts.shots, r.total.counts.errors};
  }
  return out;
}

ScenarioJob Scenarios::submit_state_job(
    const std::string& name,
    std::int64_t steps,
    double step_seconds,
    const std::vector<std::string>& args) {
  ScenarioJob job;
  job.steps = steps;
  job.run_dir = *dir_ / name;
  job.config = *dir_ / (name + ".yaml");
  write_text(job.config, state_job_yaml(name, steps, step_seconds, job.run_dir));
  job.id = submit(job.config, args).id;
  return job;
}

void Scenarios::start_converting_shards() {
  if (!converting_.valid() && shards_.empty()) {
    converting_ = std::async(std::launch::async, [out = *dir_ / "shards"] {
      return launch::run_program(
          {TESSERA_BIN,
           "data",
           "convert",
           "fashion-mnist",
           "--out",
           out.string(),
           "--per-shard",
           "512",
           "--limit",
           "2048"},
          std::chrono::seconds(180));
    });
  }
}

std::filesystem::path Scenarios::training_shards() {
  start_converting_shards();
  if (converting_.valid()) {
    launch::ProgramResult r = converting_.get();
    if (r.exit_code == 0) {
      shards_ = *dir_ / "shards";
    } else {
      ADD_FAILURE() << "tessera data convert fashion-mnist failed (exit " << r.exit_code
                    << "):\n" << r.out << r.err;
    }
  }
  return shards_;
}

void Scenarios::SetUp() {
  // Start the jobs only when their tests will run (--gtest_filter).
  bool wanted = false;
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit.total_test_suite_count(); ++i) {
    wanted |= std::string(unit.GetTestSuite(i)->name()) == "Requeue" &&
              unit.GetTestSuite(i)->should_run();
  }
  if (!wanted) {
    return;
  }
  start_converting_shards();  // for `training`, while the jobs below start

  // 1. A victim holding CPUs in "debug", preempted by a job in "urgent" that
  //    needs every CPU of the node. The victim gets its --signal at once
  //    (preempt_send_user_signal), checkpoints and requeues itself.
  preempted = submit_state_job("preempted", 100, 0.1, {"--ntasks-per-node", "2", "--time", "10"});
  if (!preempted.id.empty() && wait_for_step(preempted, 5, 60s)) {
    launch::ProgramResult r = launch::run_program(
        {"sbatch",
         "--parsable",
         "-p",
         "urgent",
         "-n",
         node_cpus(),
         "-t",
         "1",
         "-J",
         "urgent",
         "-o",
         "/dev/null",
         "--wrap",
         "sleep 1"});
    preemptor_id = r.out.substr(0, r.out.find_first_of(";\n"));
    preempted.started = "urgent job: " + r.out + r.err;
    preemptor_state =
        preemptor_id.empty() ? "not submitted" : wait_for_end(preemptor_id, 120s).state;
  } else {
    preempted.started = "the victim never reached step 5";
  }

  // 2. A job sent USR1 by hand while it runs.
  signalled = submit_state_job("signalled", 60, 0.1, {"--ntasks-per-node", "2", "--time", "10"});
  if (!signalled.id.empty() && wait_for_step(signalled, 5, 60s)) {
    launch::ProgramResult r = launch::run_program({"scancel", "--signal=USR1", signalled.id});
    signalled.started =
        fmt::format("scancel --signal=USR1 {}: exit {} {}", signalled.id, r.exit_code, r.err);
  } else {
    signalled.started = "the job never reached step 5";
  }

  // 3. A QEC sweep sent USR1 once it has journaled its first chunks.
  sweep.run_dir = *dir_ / "sweep";
  sweep.config = *dir_ / "sweep.yaml";
  write_text(sweep.config, sweep_job_yaml("sweep", sweep.run_dir));
  sweep.id = submit(sweep.config, {"--ntasks-per-node", "2", "--time", "10"}).id;
  if (!sweep.id.empty() && eventually(
                               [&] {
                                 std::error_code ec;
                                 return std::filesystem::file_size(
                                            sweep.run_dir / "results.journal", ec) > 0;
                               },
                               60s)) {
    launch::ProgramResult r = launch::run_program({"scancel", "--signal=USR1", sweep.id});
    sweep.started =
        fmt::format("scancel --signal=USR1 {}: exit {} {}", sweep.id, r.exit_code, r.err);
  } else {
    sweep.started = "the sweep never journaled a chunk";
  }

  // 4. 65 s of work under a 1-minute limit. Slurm sends the warning at its
  //    first ~30 s timer tick with less than signal_before + 30 s left, so
  //    each run works 25-55 s and needs the next run to go on.
  time_limited = submit_state_job(
      "time_limited",
      130,
      0.5,
      {"--ntasks-per-node", "2", "--time", "1", "slurm.signal_before=5s"});

  // 5. The same work, stopped by tessera itself 35 s before the job's end
  //    (checkpoint.before_time_limit, from squeue's time left): after 25 s,
  //    before Slurm's warning can come (it waits for less than 1 + 30 s left).
  deadline = submit_state_job(
      "deadline",
      130,
      0.5,
      {"--ntasks-per-node",
       "2",
       "--time",
       "1",
       "slurm.signal_before=1s",
       "checkpoint.before_time_limit=35s"});

  // 6. A training job sent USR1 once it has written its first checkpoint
  //    (step 50 of kTrainingSteps), so it stops in the middle and resumes from a
  //    checkpoint of its own. Started last: it waits on its own start.
  training.run_dir = *dir_ / "training";
  training.config = *dir_ / "training.yaml";
  const std::filesystem::path shards = training_shards();
  if (shards.empty()) {
    training.started = "no shards to train on";
    return;
  }
  write_text(training.config, training_job_yaml("training", shards, training.run_dir));
  training.id = submit(training.config, {"--ntasks-per-node", "2", "--time", "10"}, TESSERA_BIN).id;
  if (!training.id.empty() &&
      eventually([&] { return std::filesystem::exists(training.run_dir / "checkpoints/LATEST"); }, 90s)) {
    launch::ProgramResult r = launch::run_program({"scancel", "--signal=USR1", training.id});
    training.started =
        fmt::format("scancel --signal=USR1 {}: exit {} {}", training.id, r.exit_code, r.err);
  } else {
    training.started = "the training job never wrote a checkpoint";
  }
}

void Scenarios::TearDown() {
  for (const std::string& id :
       {preempted.id,
        signalled.id,
        sweep.id,
        time_limited.id,
        deadline.id,
        training.id,
        preemptor_id}) {
    if (!id.empty()) {
      launch::run_program({"scancel", id});
    }
  }
  if (converting_.valid()) {
    converting_.wait();  // before its output folder goes
  }
  dir_.reset();
}

std::map<std::string, std::pair<std::int64_t, std::int64_t>> Scenarios::reference_sweep_counts() {
  if (sweep_reference_.empty()) {
    const std::filesystem::path run = *dir_ / "sweep-reference";
    write_text(run.string() + ".yaml", sweep_job_yaml("sweep-reference", run));
    std::vector<std::string> argv = srun(2);
    argv.insert(argv.end(), {TESSERA_BIN, "run", run.string() + ".yaml"});
    CommandResult r = run_command(argv, 300s);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, ::testing::HasSubstr("on 2 ranks via srun"));
    EXPECT_THAT(r.output, ::testing::HasSubstr("sweep: 6 tasks over 2 ranks"));
    sweep_reference_ = sweep_counts(run);
  }
  return sweep_reference_;
}

std::filesystem::path Scenarios::reference_training_run() {
  if (training_reference_.empty()) {
    const std::filesystem::path shards = training_shards();
    if (shards.empty()) {
      return {};
    }
    const std::filesystem::path run = *dir_ / "training-reference";
    write_text(run.string() + ".yaml", training_job_yaml("training-reference", shards, run));
    std::vector<std::string> argv = srun(2);
    argv.insert(argv.end(), {TESSERA_BIN, "run", run.string() + ".yaml"});
    CommandResult r = run_command(argv, 300s);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, ::testing::HasSubstr("job 'training-reference' (data_parallel) on 2 ranks via srun"));
    EXPECT_THAT(r.output, ::testing::HasSubstr(fmt::format("trained after {} steps", kTrainingSteps)));
    training_reference_ = run;
  }
  return training_reference_;
}

std::vector<std::pair<std::string, std::string>> Scenarios::reference_final_state(
    std::int64_t steps) {
  auto found = references_.find(steps);
  if (found != references_.end()) {
    return found->second;
  }
  const std::filesystem::path run = *dir_ / fmt::format("reference-{}", steps);
  write_text(run.string() + ".yaml", state_job_yaml("reference", steps, 0, run));
  std::vector<std::string> argv = srun(2);
  argv.insert(argv.end(), {TESSERA_TEST_BIN, "run", run.string() + ".yaml", "announce=false"});
  CommandResult r = run_command(argv, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return references_[steps] = final_state(run);
}

}  // namespace tessera::testing
