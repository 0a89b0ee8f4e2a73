#include "jobs/sweep/sweep_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "jobs/sweep/grid.h"
#include "runtime/error.h"

namespace tessera::jobs::sweep {
namespace {

Task make_task(std::size_t index, TaskLimits limits) {
  Task t;
  t.index = index;
  t.description.params = {{"i", index}};
  t.id = strong_id("test", t.description.params);
  t.limits = limits;
  return t;
}

ChunkResult result(std::int64_t shots, std::int64_t errors) {
  ChunkResult r;
  r.counts.shots = shots;
  r.counts.errors = errors;
  r.arrays["curve"] = {{2}, {static_cast<double>(shots), 1.0}};
  return r;
}

TEST(Grid, AMapExpandsToTheProductWithTheLastKeyFastest) {
  const auto points = expand_grid(YAML::Load("{d: [3, 5], p: [0.001, 0.002], basis: z}"));
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(points[0].params, (nlohmann::json{{"d", 3}, {"p", 0.001}, {"basis", "z"}}));
  EXPECT_EQ(points[1].params, (nlohmann::json{{"d", 3}, {"p", 0.002}, {"basis", "z"}}));
  EXPECT_EQ(points[3].params, (nlohmann::json{{"d", 5}, {"p", 0.002}, {"basis", "z"}}));
  EXPECT_TRUE(points[0].params["d"].is_number_integer());
  EXPECT_TRUE(points[0].params["p"].is_number_float());
}

TEST(Grid, AListOfMapsIsTheUnionAndQuotedNumbersStayStrings) {
  const auto points = expand_grid(YAML::Load("[{d: 3}, {d: [5, 7], tag: '9', on: true}]"));
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[2].params, (nlohmann::json{{"d", 7}, {"tag", "9"}, {"on", true}}));
}

TEST(Grid, BadGridsAreConfigErrorsNamingTheLine) {
  EXPECT_THROW(expand_grid(YAML::Node()), ConfigError);
  EXPECT_THROW(expand_grid(YAML::Load("[]")), ConfigError);
  try {
    expand_grid(YAML::Load("d: [3, 5]\np: []\n"));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("line 2"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("p: expected a value or a non-empty list"));
  }
}

TEST(StrongId, DependsOnKindAndParametersNotOnKeyOrder) {
  const auto a = strong_id("qec", nlohmann::json::parse(R"({"d": 3, "p": 0.001})"));
  const auto b = strong_id("qec", nlohmann::json::parse(R"({"p": 0.001, "d": 3})"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, strong_id("photons", nlohmann::json::parse(R"({"d": 3, "p": 0.001})")));
  EXPECT_NE(a, strong_id("qec", nlohmann::json::parse(R"({"d": 5, "p": 0.001})")));
}

TEST(ChunkPlan, SizesDoubleToTheCapAndAddUpToMaxShots) {
  const TaskLimits limits{.max_shots = 100, .first_chunk_shots = 4, .max_chunk_shots = 32};
  std::vector<std::int64_t> sizes;
  for (std::int64_t i = 0; chunk_shots(limits, i) > 0; ++i) {
    sizes.push_back(chunk_shots(limits, i));
  }
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{4, 8, 16, 32, 32, 8}));
  EXPECT_EQ(chunk_shots(limits, 1000000), 0);
  EXPECT_EQ(chunk_shots({.max_shots = 1, .first_chunk_shots = 1, .max_chunk_shots = 1}, 0), 1);
  EXPECT_EQ(chunk_shots({.max_shots = 1, .first_chunk_shots = 1, .max_chunk_shots = 1}, 1), 0);
  EXPECT_NE(chunk_seed(1, "a", 0), chunk_seed(1, "a", 1));
  EXPECT_NE(chunk_seed(1, "a", 0), chunk_seed(2, "a", 0));
}

TEST(SweepState, OutOfOrderChunksJoinOnceTheGapCloses) {
  SweepState s({make_task(0, {.max_shots = 30, .first_chunk_shots = 10, .max_chunk_shots = 10})}, {}, 1);
  auto a0 = s.next();
  auto a1 = s.next();
  auto a2 = s.next();
  ASSERT_TRUE(a0 && a1 && a2);
  EXPECT_EQ(a2->chunk.index, 2);
  EXPECT_FALSE(s.next());  // the plan has three chunks
  EXPECT_TRUE(s.complete(0, 2, result(10, 2)));
  EXPECT_TRUE(s.complete(0, 1, result(10, 1)));
  EXPECT_EQ(s.records()[0].chunks, 0);
  EXPECT_EQ(s.records()[0].pending.size(), 2u);
  EXPECT_FALSE(s.all_finished());
  EXPECT_TRUE(s.complete(0, 0, result(10, 0)));
  const TaskRecord r = s.records()[0];
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.chunks, 3);
  EXPECT_EQ(r.total.counts.shots, 30);
  EXPECT_EQ(r.total.counts.errors, 3);
  EXPECT_EQ(r.total.arrays.at("curve").values, (std::vector<double>{30, 3}));
  EXPECT_TRUE(s.all_finished());
  EXPECT_FALSE(s.complete(0, 1, result(10, 1))) << "a chunk counts once";
}

TEST(SweepState, MaxErrorsStopsAtTheFirstChunkReachingItAndDropsLaterOnes) {
  SweepState s({make_task(0, {.max_shots = 1000, .max_errors = 5, .first_chunk_shots = 10, .max_chunk_shots = 10})},
               {}, 1);
  for (int i = 0; i < 3; ++i) {
    s.next();
  }
  EXPECT_TRUE(s.complete(0, 2, result(10, 9)));
  EXPECT_TRUE(s.complete(0, 0, result(10, 3)));
  EXPECT_TRUE(s.complete(0, 1, result(10, 3)));  // 6 >= 5 after chunk 1: chunk 2 is dropped
  const TaskRecord r = s.records()[0];
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.total.counts.errors, 6);
  EXPECT_EQ(r.chunks, 2);
  EXPECT_TRUE(r.pending.empty());
}

TEST(SweepState, HoldsBackChunksExpectedToOvershootMaxErrors) {
  SweepState s({make_task(0, {.max_shots = 1000, .max_errors = 10, .first_chunk_shots = 10, .max_chunk_shots = 10})},
               {}, 1);
  s.next();
  s.complete(0, 0, result(10, 5));  // half the budget per chunk
  EXPECT_TRUE(s.next());            // chunk 1 in flight: 5 + 5 expected
  EXPECT_FALSE(s.next()) << "a third chunk is not expected to be needed";
}

TEST(SweepState, DispatchPrefersTheTaskWithFewestChunksRunning) {
  const TaskLimits l{.max_shots = 100, .first_chunk_shots = 10, .max_chunk_shots = 10};
  SweepState s({make_task(0, l), make_task(1, l), make_task(2, l)}, {}, 1);
  std::vector<std::size_t> order;
  for (int i = 0; i < 6; ++i) {
    order.push_back(s.next()->task);
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 0, 1, 2}));
  s.complete(1, 0, result(10, 0));
  EXPECT_EQ(s.next()->task, 1u);
}

TEST(SweepState, ResumeContinuesFromTheFirstMissingChunkAndKeepsOtherRecords) {
  const TaskLimits l{.max_shots = 50, .first_chunk_shots = 10, .max_chunk_shots = 10};
  const Task t = make_task(0, l);
  TaskRecord previous;
  previous.id = t.id;
  previous.total = result(20, 1);
  previous.chunks = 2;
  previous.pending[3] = result(10, 0);
  TaskRecord stranger;
  stranger.id = "ffffffffffffffffffffffffffffffff";
  stranger.total = result(7, 7);
  SweepState s({t}, {previous, stranger}, 1);
  auto a = s.next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->chunk.index, 2);
  EXPECT_EQ(a->chunk.seed, chunk_seed(1, t.id, 2));
  EXPECT_EQ(s.next()->chunk.index, 4) << "chunk 3 is already done";
  EXPECT_FALSE(s.next());
  ASSERT_EQ(s.records().size(), 2u);
  EXPECT_EQ(s.records()[1].id, stranger.id);
  EXPECT_TRUE(s.replay(t.id, 2, result(10, 0)));
  EXPECT_FALSE(s.replay(t.id, 2, result(10, 0)));
  EXPECT_EQ(s.records()[0].chunks, 4);
}

TEST(SweepState, ChangedLimitsReopenOrCloseTasks) {
  const Task t = make_task(0, {.max_shots = 40, .first_chunk_shots = 10, .max_chunk_shots = 10});
  TaskRecord done;
  done.id = t.id;
  done.total = result(20, 0);
  done.chunks = 2;
  done.finished = true;  // finished under an older max_shots of 20
  SweepState more({t}, {done}, 1);
  EXPECT_FALSE(more.all_finished());
  EXPECT_EQ(more.next()->chunk.index, 2);
  Task fewer = t;
  fewer.limits.max_shots = 10;
  done.finished = false;
  SweepState less({fewer}, {done}, 1);
  EXPECT_TRUE(less.all_finished());
}

}  // namespace
}  // namespace tessera::jobs::sweep
