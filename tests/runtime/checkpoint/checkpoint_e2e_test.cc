// Checkpoints under real failures: `tessera_test run` of the deterministic
// test_state job under `mpirun -np 2`, interrupted by real signals, kill -9,
// damaged files and a full disk, then resumed. The final state must be
// bitwise the one of an uninterrupted run.

#include <signal.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <numeric>
#include <random>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "runtime/checkpoint/checkpoint_catalog.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/metrics_writer.h"
#include "tests/testing/running_job.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

using ::testing::HasSubstr;
using testing::CommandResult;
using testing::RunningJob;

constexpr int kStopped = 3;  // launch/cli.h kExitStopped

// The job every test runs; `overrides` change it per test.
constexpr const char* kJob =
    "job: test_state\n"
    "name: e2e\n"
    "seed: 3\n"
    "steps: 40\n"
    "local_size: 2000\n"
    "replicated_size: 1500\n"
    "shard_size: 1000\n"
    "announce: true\n"
    "checkpoint: {every_steps: 7, keep: 3}\n";

class CheckpointE2eTest : public ::testing::Test {
 protected:
  CheckpointE2eTest() { testing::write_text(tmp_ / "job.yaml", kJob); }

  std::vector<std::string> command(const std::filesystem::path& run,
                                   const std::vector<std::string>& overrides = {}) const {
    std::vector<std::string> argv = testing::mpirun(2);
    for (std::string part : {std::string(TESSERA_TEST_BIN), std::string("run"), (tmp_ / "job.yaml").string(),
                             "output.dir=" + run.string()}) {
      argv.push_back(std::move(part));
    }
    argv.insert(argv.end(), overrides.begin(), overrides.end());
    return argv;
  }

  CommandResult run(const std::filesystem::path& dir, const std::vector<std::string>& overrides = {}) const {
    return testing::run_command(command(dir, overrides), std::chrono::seconds(120));
  }

  // Every rank's final state, as bytes.
  static std::string final_state(const std::filesystem::path& run) {
    return testing::read_text(run / "final/rank-00000.bin") + "|" +
           testing::read_text(run / "final/rank-00001.bin");
  }

  // The final state of an uninterrupted run with `overrides`.
  std::string reference(const std::vector<std::string>& overrides = {}) const {
    const std::filesystem::path dir = tmp_ / "reference";
    std::filesystem::remove_all(dir);
    CommandResult r = run(dir, overrides);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return final_state(dir);
  }

  static std::int64_t latest_step(const std::filesystem::path& run) {
    std::optional<std::filesystem::path> latest = runtime::read_latest(run / "checkpoints");
    return latest ? runtime::read_manifest(*latest).step : -1;
  }

  // The last "test_state step N" line in `output` (0 if none).
  static std::int64_t last_announced_step(const std::string& output) {
    static const std::regex line("test_state step ([0-9]+)\n");
    std::int64_t last = 0;
    for (auto it = std::sregex_iterator(output.begin(), output.end(), line); it != std::sregex_iterator(); ++it) {
      last = std::stoll((*it)[1].str());
    }
    return last;
  }

  // A checkpoint is being written: its temporary directory exists.
  static bool has_temp_dir(const std::filesystem::path& run) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(run / "checkpoints", ec)) {
      if (entry.path().extension() == ".tmp") {
        return true;
      }
    }
    return false;
  }

  testing::TempDir tmp_;
  std::mt19937 random_{20240521};  // seeded: failures reproduce
};

TEST_F(CheckpointE2eTest, SigtermToOneRankAtARandomStepThenResumeIsBitwiseIdentical) {
  const std::string expected = reference();
  const int stop_at = std::uniform_int_distribution<int>(3, 30)(random_);
  const std::filesystem::path dir = tmp_ / "run";
  {
    RunningJob job(command(dir, {"step_time=0.02"}));
    ASSERT_TRUE(job.wait_for(fmt::format("test_state step {}\n", stop_at), std::chrono::seconds(60)))
        << job.output();
    // Only the last rank gets the signal: the ranks must still agree.
    std::vector<pid_t> ranks = job.ranks();
    ASSERT_EQ(ranks.size(), 2U);
    ::kill(ranks.back(), SIGTERM);
    CommandResult stopped = job.wait();
    ASSERT_EQ(stopped.exit_code, kStopped) << stopped.output;
    EXPECT_THAT(stopped.output, HasSubstr("SIGTERM received"));
    EXPECT_THAT(stopped.output, HasSubstr("resume with the same command"));
    const std::int64_t at = last_announced_step(stopped.output);
    EXPECT_GE(at, stop_at);
    EXPECT_EQ(latest_step(dir), at) << "the stop checkpoint is the step the ranks agreed on";
  }
  CommandResult resumed = run(dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("resuming from"));
  EXPECT_EQ(final_state(dir), expected);
  // The metrics continue exactly: every step once.
  runtime::MetricSeries sums = runtime::read_metric(dir / "metrics.h5", "local_sum");
  std::vector<std::int64_t> steps(40);
  std::iota(steps.begin(), steps.end(), 1);
  EXPECT_EQ(sums.steps, steps);
}

TEST_F(CheckpointE2eTest, SigusrToMpirunStopsEveryRankAndAsyncCheckpointsResumeIdentically) {
  const std::string expected = reference();
  const int stop_at = std::uniform_int_distribution<int>(3, 30)(random_);
  const std::filesystem::path dir = tmp_ / "run";
  {
    RunningJob job(command(dir, {"step_time=0.02", "checkpoint.async=true"}));
    ASSERT_TRUE(job.wait_for(fmt::format("test_state step {}\n", stop_at), std::chrono::seconds(60)))
        << job.output();
    ::kill(job.pid(), SIGUSR1);  // mpirun forwards it to every rank, as srun does
    CommandResult stopped = job.wait();
    ASSERT_EQ(stopped.exit_code, kStopped) << stopped.output;
    EXPECT_THAT(stopped.output, HasSubstr("SIGUSR1 received"));
    EXPECT_EQ(latest_step(dir), last_announced_step(stopped.output));
  }
  CommandResult resumed = run(dir, {"checkpoint.async=true"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(final_state(dir), expected);
}

// kill -9 of one rank at random moments of a run that checkpoints all the
// time: half the trials at a random time after a random step, half just
// after a checkpoint's temporary directory appears (in the middle of the
// write protocol). Whatever the moment, LATEST must name a complete valid
// checkpoint, the loss is at most one checkpoint interval, and resuming
// gives the uninterrupted result. scripts/checkpoint_kill_trials.sh runs
// more trials.
TEST_F(CheckpointE2eTest, KillNineOfARankDuringCheckpointWritesNeverBreaksLatest) {
  const std::vector<std::string> heavy = {"steps=16", "local_size=150000", "replicated_size=150000",
                                          "shard_size=150000", "checkpoint.every_steps=2"};
  const std::int64_t interval = 2;
  const std::string expected = reference(heavy);
  const int trials = 20;
  int mid_write = 0;
  for (int trial = 0; trial < trials; ++trial) {
    SCOPED_TRACE(fmt::format("trial {}", trial));
    const std::filesystem::path dir = tmp_ / fmt::format("kill-{}", trial);
    const int after = std::uniform_int_distribution<int>(1, 12)(random_);
    const int delay_ms = std::uniform_int_distribution<int>(0, 40)(random_);
    const std::size_t victim = std::uniform_int_distribution<std::size_t>(0, 1)(random_);
    const bool during_write = trial % 2 == 1;
    std::int64_t reached = 0;
    {
      // mpirun tears the survivor down at once (it would SIGKILL it after
      // 1 s anyway): the test then takes seconds, not minutes.
      std::vector<std::string> argv = command(dir, heavy);
      argv.insert(argv.begin() + 1, {"--mca", "odls_base_sigkill_timeout", "0"});
      RunningJob job(argv);
      ASSERT_TRUE(job.wait_for(fmt::format("test_state step {}\n", after), std::chrono::seconds(60)))
          << job.output();
      if (during_write) {
        while (!has_temp_dir(dir) && job.running()) {
          std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        std::this_thread::sleep_for(std::chrono::microseconds(delay_ms * 100));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      }
      std::vector<pid_t> ranks = job.ranks();
      ASSERT_EQ(ranks.size(), 2U);
      reached = last_announced_step(job.output());
      ::kill(ranks[victim], SIGKILL);
      mid_write += has_temp_dir(dir) ? 1 : 0;  // a write was in progress
      CommandResult killed = job.wait();
      EXPECT_NE(killed.exit_code, 0) << "the job ended before the kill";
    }
    // LATEST names a complete, valid checkpoint.
    std::optional<std::filesystem::path> latest = runtime::read_latest(dir / "checkpoints");
    ASSERT_TRUE(latest.has_value());
    EXPECT_EQ(runtime::verify_checkpoint(*latest), "");
    const std::int64_t saved = runtime::read_manifest(*latest).step;
    CommandResult resumed = run(dir, heavy);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    // Resume takes the newest valid checkpoint: LATEST's, or a newer one
    // committed just before the kill reached the LATEST update.
    std::smatch from;
    ASSERT_TRUE(std::regex_search(resumed.output, from, std::regex("resuming from .* \\(step ([0-9]+)\\)")))
        << resumed.output;
    const std::int64_t resumed_step = std::stoll(from[1].str());
    EXPECT_GE(resumed_step, saved);
    EXPECT_LE(reached + 1 - resumed_step, interval) << "steps lost beyond the checkpoint interval";
    EXPECT_EQ(final_state(dir), expected);
    std::filesystem::remove_all(dir);
  }
  std::printf("[ stats    ] %d kill -9 trials, %d of them while a checkpoint was being written\n", trials,
              mid_write);
}

struct Damage {
  const char* name;
  void (*apply)(const std::filesystem::path& ckpt);
  const char* warning;
};

void PrintTo(const Damage& damage, std::ostream* out) { *out << damage.name; }


class DamagedCheckpointE2eTest : public CheckpointE2eTest, public ::testing::WithParamInterface<Damage> {};

TEST_P(DamagedCheckpointE2eTest, ResumeFallsBackToThePreviousCheckpointWithAWarning) {
  const std::string expected = reference({"steps=30"});
  const std::filesystem::path dir = tmp_ / "run";
  CommandResult first = run(dir, {"steps=20"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(latest_step(dir), 20);  // checkpoints 7, 14 and 20 (the end)
  GetParam().apply(dir / "checkpoints/step-00000020");
  CommandResult resumed = run(dir, {"steps=30"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("skipping damaged checkpoint"));
  EXPECT_THAT(resumed.output, HasSubstr(GetParam().warning));
  EXPECT_THAT(resumed.output, HasSubstr("step-00000014 (step 14)"));
  EXPECT_EQ(final_state(dir), expected);
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, DamagedCheckpointE2eTest,
    ::testing::Values(
        Damage{"TruncatedRankFile",
               [](const std::filesystem::path& c) {
                 std::filesystem::resize_file(c / "rank-00001.h5", std::filesystem::file_size(c / "rank-00001.h5") - 1);
               },
               "rank-00001.h5 has"},
        Damage{"FlippedByte",
               [](const std::filesystem::path& c) {
                 std::fstream f(c / "rank-00000.h5", std::ios::in | std::ios::out | std::ios::binary);
                 f.seekg(5000);
                 char byte = 0;
                 f.get(byte);
                 f.seekp(5000);
                 f.put(static_cast<char>(byte ^ 1));
               },
               "rank-00000.h5 checksum mismatch"},
        Damage{"DeletedRankFile",
               [](const std::filesystem::path& c) { std::filesystem::remove(c / "rank-00001.h5"); },
               "rank-00001.h5 is missing"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// A full disk: the run directory on a small tmpfs, mounted in a private
// mount namespace (as root: `unshare -m`; otherwise a user namespace:
// `unshare -rm`), so nothing outlives the test.
TEST_F(CheckpointE2eTest, AFullDiskIsAClearErrorAndThePreviousCheckpointSurvives) {
  const std::vector<std::string> unshare =
      ::geteuid() == 0 ? std::vector<std::string>{"unshare", "-m"} : std::vector<std::string>{"unshare", "-rm"};
  auto in_namespace = [&](const std::string& script) {
    std::vector<std::string> argv = unshare;
    argv.insert(argv.end(), {"sh", "-c", script});
    return testing::run_command(argv, std::chrono::seconds(120));
  };
  CommandResult probe = in_namespace("mount -t tmpfs -o size=1m probe '" + tmp_.path().string() + "' && echo mounted");
  if (probe.output.find("mounted") == std::string::npos) {
    GTEST_SKIP() << "cannot mount a tmpfs here: neither root nor user namespaces (`" << unshare[0] << " "
                 << unshare[1] << "` said: " << probe.output << ")";
  }
  const std::vector<std::string> big = {"steps=6", "local_size=100000", "replicated_size=100000",
                                        "shard_size=100000", "checkpoint.every_steps=2"};
  const std::string expected = reference(big);
  const std::filesystem::path mnt = tmp_ / "mnt";
  const std::filesystem::path dir = mnt / "run";
  std::filesystem::create_directories(mnt);
  std::string run_line;
  for (const std::string& a : command(dir, big)) {
    run_line += "'" + a + "' ";
  }
  // One checkpoint (3.6 MB) fits in 6 MB, the second does not. Then space is
  // freed (the tmpfs grows) and the job resumes from the first one; the
  // final state is copied out of the namespace for comparison.
  testing::write_text(tmp_ / "full.sh",
                      fmt::format("mount -t tmpfs -o size=6m tessera-full '{mnt}' || exit 90\n"
                                  "{run}; echo \"first-exit=$?\"\n"
                                  "'{bin}' ckpt list '{dir}'\n"
                                  "echo \"dirs: $(ls '{dir}/checkpoints' | tr '\\n' ' ')\"\n"
                                  "mount -o remount,size=64m '{mnt}'\n"
                                  "{run}; echo \"resume-exit=$?\"\n"
                                  "mkdir -p '{out}' && cp -r '{dir}/final' '{out}/'\n",
                                  fmt::arg("mnt", mnt.string()), fmt::arg("run", run_line),
                                  fmt::arg("bin", TESSERA_TEST_BIN), fmt::arg("dir", dir.string()),
                                  fmt::arg("out", (tmp_ / "resumed").string())));
  CommandResult r = in_namespace("sh '" + (tmp_ / "full.sh").string() + "'");
  ASSERT_THAT(r.output, HasSubstr("first-exit=1"));
  EXPECT_THAT(r.output, HasSubstr("No space left on device"));
  EXPECT_THAT(r.output, HasSubstr("could not write its part"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("2 +[-0-9: ]+ +[0-9.]+ MiB +2  valid [(]LATEST[)]"));
  EXPECT_THAT(r.output, HasSubstr("dirs: LATEST step-00000002 \n"));  // no partial checkpoint left
  EXPECT_THAT(r.output, HasSubstr("resume-exit=0"));
  EXPECT_THAT(r.output, HasSubstr("step-00000002 (step 2)"));
  EXPECT_EQ(final_state(tmp_ / "resumed"), expected) << r.output;
}

// checkpoint.before_time_limit with the Slurm end time from the
// environment (as Slurm >= 23.02 sets SLURM_JOB_END_TIME).
TEST_F(CheckpointE2eTest, TheTimeLimitStopsTheJobWithACheckpointAheadOfTheEnd) {
  const std::filesystem::path dir = tmp_ / "run";
  const auto end = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() +
                   3;
  RunningJob job(command(dir, {"steps=100000", "step_time=0.01", "checkpoint.before_time_limit=1s"}),
                 {"SLURM_JOB_ID=4242", fmt::format("SLURM_JOB_END_TIME={}", end)});
  CommandResult r = job.wait(std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, kStopped) << r.output;
  EXPECT_THAT(r.output, HasSubstr("the Slurm time limit is near"));
  const std::int64_t at = last_announced_step(r.output);
  EXPECT_GT(at, 0);
  EXPECT_EQ(latest_step(dir), at);
}

TEST_F(CheckpointE2eTest, AChangedConfigIsRefusedListingTheKeys) {
  const std::filesystem::path dir = tmp_ / "run";
  ASSERT_EQ(run(dir, {"steps=7"}).exit_code, 0);
  CommandResult r = run(dir, {"steps=9", "shard_size=999"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("config differs from this run's on shard_size"));
  EXPECT_THAT(r.output, HasSubstr("shard_size: 1000 in the checkpoint, 999 now"));
  // steps is free to change (the job says so), so extending a run works.
  CommandResult longer = run(dir, {"steps=9"});
  EXPECT_EQ(longer.exit_code, 0) << longer.output;
}

TEST_F(CheckpointE2eTest, CkptListAndInspectDescribeTheCheckpoints) {
  const std::filesystem::path dir = tmp_ / "run";
  ASSERT_EQ(run(dir, {"steps=15"}).exit_code, 0);  // checkpoints 7, 14, 15
  std::filesystem::remove(dir / "checkpoints/step-00000007/rank-00001.h5");
  CommandResult list = testing::run_command({TESSERA_TEST_BIN, "ckpt", "list", dir.string()});
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, ::testing::ContainsRegex("7 .*INVALID: .*rank-00001.h5 is missing"));
  EXPECT_THAT(list.output, ::testing::ContainsRegex("14 .* 2  valid\n"));
  EXPECT_THAT(list.output, ::testing::ContainsRegex("15 .* 2  valid \\(LATEST\\)"));
  CommandResult inspect = testing::run_command({TESSERA_TEST_BIN, "ckpt", "inspect", dir.string()});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_THAT(inspect.output, HasSubstr("step-00000015"));
  EXPECT_THAT(inspect.output, HasSubstr("job:           test_state (run 'e2e')"));
  EXPECT_THAT(inspect.output, ::testing::ContainsRegex("state/shard +shard +int64 +\\[1000\\] +\\[2000\\] @ \\[1000\\] +1"));
  EXPECT_THAT(inspect.output, HasSubstr("blob data/position = \"480\""));
  EXPECT_THAT(inspect.output, HasSubstr("config: same as"));
  CommandResult damaged = testing::run_command(
      {TESSERA_TEST_BIN, "ckpt", "inspect", (dir / "checkpoints/step-00000007").string()});
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_THAT(damaged.output, HasSubstr("INVALID"));
}

}  // namespace
}  // namespace tessera
