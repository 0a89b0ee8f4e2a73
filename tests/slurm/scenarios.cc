#include "tests/slurm/scenarios.h"

#include <fmt/format.h>

#include "launch/batch_script.h"
#include "tests/slurm/slurm_cluster.h"
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

  // 3. 65 s of work under a 1-minute limit. Slurm sends the warning at its
  //    first ~30 s timer tick with less than signal_before + 30 s left, so
  //    each run works 25-55 s and needs the next run to go on.
  time_limited = submit_state_job(
      "time_limited",
      130,
      0.5,
      {"--ntasks-per-node", "2", "--time", "1", "slurm.signal_before=5s"});

  // 4. The same work, stopped by tessera itself 35 s before the job's end
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
}

void Scenarios::TearDown() {
  for (const std::string& id :
       {preempted.id, signalled.id, time_limited.id, deadline.id, preemptor_id}) {
    if (!id.empty()) {
      launch::run_program({"scancel", id});
    }
  }
  dir_.reset();
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
