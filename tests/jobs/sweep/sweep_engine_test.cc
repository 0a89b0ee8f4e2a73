// The engine in one process (no MPI: rank 0's dispatcher and its worker
// thread): a full sweep, a crash mid-sweep and the resume, a changed grid.

#include "jobs/sweep/sweep_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "runtime/rng.h"
#include "jobs/sweep/results_file.h"
#include "jobs/sweep/results_journal.h"
#include "runtime/error.h"
#include "tests/testing/temp_dir.h"

namespace tessera::jobs::sweep {
namespace {

// Each shot errs with probability rate; arrays hold per-chunk sums, so a
// task's array is (shots, errors) too.
class CoinKernel final : public SweepKernel {
 public:
  explicit CoinKernel(int crash_after = -1, bool collective = false)
      : crash_after_(crash_after), collective_(collective) {}

  bool collective() const override { return collective_; }
  // Threads run_chunk was called from.
  std::set<std::thread::id> threads() const { return threads_; }

  TaskDescription describe(const nlohmann::json& point) const override {
    if (!point.contains("rate")) {
      throw ConfigError("'rate' is required");
    }
    return {point, "coin", point};
  }
  ChunkResult run_chunk(const Task& task, const Chunk& chunk) override {
    threads_.insert(std::this_thread::get_id());  // one call at a time
    if (crash_after_ >= 0 && calls_++ >= crash_after_) {
      throw InternalError("simulated crash");
    }
    runtime::Rng rng(chunk.seed);
    const double rate = task.description.params["rate"].get<double>();
    ChunkResult r;
    r.counts.shots = chunk.shots;
    for (std::int64_t s = 0; s < chunk.shots; ++s) {
      r.counts.errors += rng.uniform() < rate ? 1 : 0;
    }
    r.arrays["tally"] = {{2}, {static_cast<double>(r.counts.shots), static_cast<double>(r.counts.errors)}};
    return r;
  }

 private:
  int crash_after_;
  bool collective_;
  std::atomic<int> calls_{0};
  std::set<std::thread::id> threads_;
};

// Everything a job gets from the launcher, for a one-process run in `dir`.
struct Harness {
  runtime::JobSpec spec;
  runtime::LaunchInfo launch;
  runtime::SoloCoordinator coordinator;
  runtime::RunDir run_dir;
  runtime::MetricsWriter metrics;
  runtime::CheckpointStore checkpoints;
  runtime::StopSignal stop;
  runtime::JobContext context;

  explicit Harness(const std::filesystem::path& dir)
      : spec(make_spec()),
        run_dir(runtime::RunDir::create(dir, "job: coin\n", coordinator)),
        metrics(run_dir.metrics_file(), config::Seconds(60)),
        checkpoints(run_dir.checkpoints_dir(), coordinator, spec.checkpoint, {"coin", "coin", "job: coin\n", {}}),
        stop(coordinator, {}),
        context{spec, launch, coordinator, run_dir, metrics, checkpoints, stop} {}

  static runtime::JobSpec make_spec() {
    runtime::JobSpec s;
    s.job = "coin";
    s.name = "coin";
    s.seed = 7;
    return s;
  }
};

SweepConfig config(const std::string& grid, double flush_seconds = 0.05) {
  SweepConfig c;
  c.grid = YAML::Load(grid);
  c.max_shots = 20000;
  c.max_errors = 150;
  c.first_chunk_shots = 256;
  c.max_chunk_shots = 1024;
  c.flush_every = config::Seconds(flush_seconds);
  return c;
}

std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts(const std::vector<TaskRecord>& records) {
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
  for (const TaskRecord& r : records) {
    out[r.id] = {r.total.counts.shots, r.total.counts.errors};
  }
  return out;
}

constexpr const char* kGrid = "{rate: [0.001, 0.01, 0.05, 0.2]}";

TEST(SweepEngine, RunsEveryTaskToItsLimitsAndWritesResults) {
  testing::TempDir dir;
  Harness h(dir.path());
  CoinKernel kernel;
  const SweepConfig c = config(kGrid);
  SweepEngine engine(c, kernel, h.context);
  const std::vector<TaskRecord> records = engine.run();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_FALSE(engine.stopped());
  for (const TaskRecord& r : records) {
    EXPECT_TRUE(r.finished);
    EXPECT_TRUE(r.total.counts.shots >= c.max_shots || r.total.counts.errors >= c.max_errors) << r.params;
    EXPECT_EQ(r.total.arrays.at("tally").values,
              (std::vector<double>{static_cast<double>(r.total.counts.shots),
                                   static_cast<double>(r.total.counts.errors)}));
    EXPECT_GT(r.total.counts.seconds, 0);
  }
  EXPECT_EQ(records[0].total.counts.shots, 20000);  // rate 0.001: never reaches 150 errors
  EXPECT_LT(records[3].total.counts.shots, 2000);   // rate 0.2: stops on errors early
  EXPECT_EQ(counts(read_results(dir / "results.h5")), counts(records));
  EXPECT_THAT(testing::read_text(dir / "results.csv"), ::testing::HasSubstr("shots,errors,discards,seconds,decoder"));
}

TEST(SweepEngine, ACrashedSweepResumesToTheCountsOfAnUninterruptedOne) {
  testing::TempDir clean_dir;
  testing::TempDir crash_dir;
  // No snapshot during the run: what the crash leaves is in the journal.
  const SweepConfig c = config(kGrid, /*flush_seconds=*/3600);
  std::vector<TaskRecord> clean;
  {
    Harness h(clean_dir.path());
    CoinKernel kernel;
    clean = SweepEngine(c, kernel, h.context).run();
  }
  {
    Harness h(crash_dir.path());
    CoinKernel crashing(/*crash_after=*/9);
    SweepEngine engine(c, crashing, h.context);
    EXPECT_THROW(engine.run(), InternalError);
  }
  // The nine chunks done before the crash are in the journal.
  std::size_t journaled = ResultsJournal::replay(crash_dir / "results.journal",
                                                 [](const std::string&, std::int64_t, ChunkResult) {});
  EXPECT_EQ(journaled, 9u);
  {
    Harness h(crash_dir.path());
    CoinKernel kernel;
    EXPECT_EQ(counts(SweepEngine(c, kernel, h.context).run()), counts(clean));
  }
}

TEST(SweepEngine, AChangedGridAddsOnlyTheNewTasks) {
  testing::TempDir dir;
  std::vector<TaskRecord> first;
  {
    Harness h(dir.path());
    CoinKernel kernel;
    first = SweepEngine(config("{rate: [0.01, 0.05]}"), kernel, h.context).run();
  }
  Harness h(dir.path());
  CoinKernel kernel(/*crash_after=*/1000);
  const std::vector<TaskRecord> second = SweepEngine(config("{rate: [0.05, 0.1]}"), kernel, h.context).run();
  ASSERT_EQ(second.size(), 3u);  // the two grid tasks, then the one left out of the grid
  EXPECT_EQ(second[0].id, first[1].id);
  EXPECT_EQ(second[0].total, first[1].total) << "a finished task is not run again";
  EXPECT_EQ(second[2].id, first[0].id);
  EXPECT_EQ(second[2].total, first[0].total);
  EXPECT_TRUE(second[1].finished);
}

TEST(SweepEngine, CollectiveKernelsRunOnTheMainThreadAndResumeLikeTheOthers) {
  testing::TempDir plain_dir;
  testing::TempDir collective_dir;
  const SweepConfig c = config(kGrid, /*flush_seconds=*/3600);
  std::vector<TaskRecord> plain;
  {
    Harness h(plain_dir.path());
    CoinKernel kernel;
    plain = SweepEngine(c, kernel, h.context).run();
  }
  {
    Harness h(collective_dir.path());
    CoinKernel crashing(/*crash_after=*/5, /*collective=*/true);
    EXPECT_THROW(SweepEngine(c, crashing, h.context).run(), InternalError);
  }
  Harness h(collective_dir.path());
  CoinKernel kernel(-1, /*collective=*/true);
  EXPECT_EQ(counts(SweepEngine(c, kernel, h.context).run()), counts(plain));
  EXPECT_EQ(kernel.threads(), std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST(SweepEngine, BadPointsAndDuplicateTasksAreConfigErrors) {
  testing::TempDir dir;
  Harness h(dir.path());
  CoinKernel kernel;
  EXPECT_THROW(SweepEngine(config("{other: 1}"), kernel, h.context), ConfigError);
  EXPECT_THROW(SweepEngine(config("[{rate: 0.1}, {rate: 0.1}]"), kernel, h.context), ConfigError);
}

}  // namespace
}  // namespace tessera::jobs::sweep
