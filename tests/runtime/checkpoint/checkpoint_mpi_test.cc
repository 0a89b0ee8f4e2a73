// CheckpointStore across ranks (mpiexec -n 2 and -n 4): shards written by N
// ranks read back on any world size, errors agreed by every rank, async
// writes beside the job's own collectives, the stop agreement.

#include <mpi.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <numeric>

#include "runtime/checkpoint/checkpoint_catalog.h"
#include "runtime/checkpoint/checkpoint_store.h"
#include "runtime/error.h"
#include "runtime/mpi_coordinator.h"
#include "runtime/stop_signal.h"
#include "tests/testing/temp_dir.h"

namespace tessera::runtime {
namespace {

using ::testing::HasSubstr;

// A directory every rank shares (rank 0 makes it; removed at the end).
class SharedDir {
 public:
  explicit SharedDir(Coordinator& c) : coordinator_(c) {
    if (c.rank() == 0) {
      dir_ = std::make_unique<testing::TempDir>();
    }
    path_ = c.broadcast(c.rank() == 0 ? dir_->path().string() : std::string(), 0);
  }
  ~SharedDir() { coordinator_.barrier(); }
  std::filesystem::path operator/(const char* child) const { return path_ / child; }

 private:
  Coordinator& coordinator_;
  std::unique_ptr<testing::TempDir> dir_;
  std::filesystem::path path_;
};

CheckpointIdentity identity() { return {"toy", "run", "job: toy\n", {}}; }

CheckpointConfig config(bool async = false) {
  CheckpointConfig c;
  c.async = async;
  return c;
}

// Global matrix [3 * size, 5] with element (i, j) = 100 i + j; rank r holds
// rows [3r, 3r + 3) as two blocks (one row, then two), like experts by id.
struct Experts {
  int rank;
  int size;
  std::vector<double> first;   // row 3r
  std::vector<double> rest;    // rows 3r+1, 3r+2

  Experts(int r, int n) : rank(r), size(n), first(5), rest(10) {
    for (int j = 0; j < 5; ++j) {
      first[static_cast<std::size_t>(j)] = 100.0 * (3 * r) + j;
      for (int k = 0; k < 2; ++k) {
        rest[static_cast<std::size_t>(k * 5 + j)] = 100.0 * (3 * r + 1 + k) + j;
      }
    }
  }

  void add_to(CheckpointState& state) const {
    const std::int64_t rows = 3 * size;
    state.add_shard("experts/w", array_ref(std::span<const double>(first), {1, 5}), {rows, 5}, {3 * rank, 0});
    state.add_shard("experts/w", array_ref(std::span<const double>(rest), {2, 5}), {rows, 5},
                    {3 * rank + 1, 0});
  }
};

CheckpointState toy_state(std::int64_t step, int rank, int size, const Experts& experts,
                          const std::vector<float>& weights, const std::vector<int>& mine) {
  CheckpointState state(step);
  experts.add_to(state);
  state.add_replicated("model/w", array_ref(std::span<const float>(weights)));
  state.add_local("mine", array_ref(std::span<const int>(mine)));
  state.set_rng_state("rng of rank " + std::to_string(rank));
  (void)size;
  return state;
}

TEST(CheckpointMpi, ShardsWrittenByNRanksReadBackOnAnyWorldSize) {
  MpiCoordinator c;
  SharedDir dir(c);
  const int rank = c.rank();
  const int size = c.size();
  Experts experts(rank, size);
  std::vector<float> weights{1.5F, 2.5F, 3.5F};
  std::vector<int> mine(static_cast<std::size_t>(rank) + 1, rank);
  {
    CheckpointStore store(dir / "ckpt", c, config(), identity());
    store.save(toy_state(7, rank, size, experts, weights, mine));
  }
  const std::filesystem::path step = dir / "ckpt/step-00000007";
  ASSERT_EQ(verify_checkpoint(step), "");

  // Same world size: everything, including this rank's own arrays and RNG.
  Checkpoint same(step, rank, size);
  EXPECT_EQ(same.read_vector<int>("mine"), mine);
  EXPECT_EQ(same.rng_state(), "rng of rank " + std::to_string(rank));
  EXPECT_EQ(same.read_vector<float>("model/w"), weights);

  // Any other world size w: rank q of w reads its share of the rows.
  const std::int64_t rows = 3 * size;
  for (int w : {1, 2, 3, 5}) {
    if (w == size) {
      continue;
    }
    for (int q = 0; q < w; ++q) {
      Checkpoint other(step, q, w);
      EXPECT_EQ(other.read_vector<float>("model/w"), weights);
      EXPECT_EQ(other.rng_state(), std::nullopt);
      const std::int64_t lo = rows * q / w;
      const std::int64_t hi = rows * (q + 1) / w;
      std::vector<double> box(static_cast<std::size_t>((hi - lo) * 3));
      other.read_region("experts/w", mutable_array_ref(std::span(box), {hi - lo, 3}), {lo, 1});
      for (std::int64_t i = 0; i < hi - lo; ++i) {
        for (int j = 0; j < 3; ++j) {
          ASSERT_EQ(box[static_cast<std::size_t>(i * 3 + j)], 100.0 * static_cast<double>(lo + i) + 1 + j)
              << "world " << w << " rank " << q << " row " << lo + i;
        }
      }
    }
  }
  // The whole array assembled from every rank's blocks.
  std::vector<double> all = Checkpoint(step, 0, 1).read_vector<double>("experts/w");
  ASSERT_EQ(all.size(), static_cast<std::size_t>(rows * 5));
  EXPECT_EQ(all.back(), 100.0 * static_cast<double>(rows - 1) + 4);
}

TEST(CheckpointMpi, BlocksThatDoNotTileTheArrayFailOnEveryRankAndKeepThePrevious) {
  MpiCoordinator c;
  SharedDir dir(c);
  Experts experts(c.rank(), c.size());
  std::vector<float> weights{1.0F};
  std::vector<int> mine{1};
  CheckpointStore store(dir / "ckpt", c, config(), identity());
  store.save(toy_state(1, c.rank(), c.size(), experts, weights, mine));
  // The last rank forgets a block.
  CheckpointState state(2);
  if (c.rank() == c.size() - 1) {
    state.add_shard("experts/w", array_ref(std::span<const double>(experts.first), {1, 5}),
                    {3 * c.size(), 5}, {3 * c.rank(), 0});
  } else {
    experts.add_to(state);
  }
  try {
    store.save(std::move(state));
    FAIL() << "expected a CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("hold {} of its {} elements", 15 * c.size() - 10, 15 * c.size())));
  }
  EXPECT_EQ(read_latest(dir / "ckpt"), dir / "ckpt/step-00000001");
  EXPECT_FALSE(std::filesystem::exists(dir / "ckpt/step-00000002.tmp"));
  EXPECT_EQ(verify_checkpoint(dir / "ckpt/step-00000001"), "");
}

TEST(CheckpointMpi, ARankThatCannotWriteFailsTheCheckpointOnEveryRankNamingIt) {
  MpiCoordinator c;
  SharedDir dir(c);
  CheckpointStore store(dir / "ckpt", c, config(), identity());
  std::vector<float> v{1.0F};
  CheckpointState state(3);
  state.add_local("a", array_ref(std::span<const float>(v)));
  if (c.rank() == 1) {
    state.add_local("a/b", array_ref(std::span<const float>(v)));  // "a" is a dataset, not a group
  }
  try {
    store.save(std::move(state));
    FAIL() << "expected a CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), HasSubstr("rank 1 could not write its part"));
    EXPECT_THAT(e.what(), HasSubstr("rank-00001.h5"));
  }
  EXPECT_TRUE(checkpoint_dirs_newest_first(dir / "ckpt").empty());
}

TEST(CheckpointMpi, ReplicatedArraysMustBeDeclaredAlikeOnEveryRank) {
  MpiCoordinator c;
  SharedDir dir(c);
  CheckpointStore store(dir / "ckpt", c, config(), identity());
  std::vector<float> v(static_cast<std::size_t>(c.rank() == 0 ? 3 : 4));
  CheckpointState state(3);
  state.add_replicated("w", array_ref(std::span<const float>(v)));
  try {
    store.save(std::move(state));
    FAIL() << "expected a CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), HasSubstr("replicated array 'w' is float32 [3] on rank 0 but float32 [4] on rank 1"));
  }
}

TEST(CheckpointMpi, AsyncWritesGoOnBesideTheJobsCollectivesAndMatchSyncBytes) {
  MpiCoordinator c;
  SharedDir dir(c);
  Experts experts(c.rank(), c.size());
  std::vector<float> weights(1000);
  std::vector<int> mine(500, c.rank());
  {
    CheckpointStore sync_store(dir / "sync", c, config(false), identity());
    CheckpointStore async_store(dir / "async", c, config(true), identity());
    for (std::int64_t step = 1; step <= 4; ++step) {
      std::iota(weights.begin(), weights.end(), static_cast<float>(step));
      sync_store.save(toy_state(step, c.rank(), c.size(), experts, weights, mine));
      async_store.save(toy_state(step, c.rank(), c.size(), experts, weights, mine));
      // The job's own control traffic while the write is in flight.
      for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(c.all_reduce_max(c.rank() + i), c.size() - 1 + i);
      }
    }
    async_store.wait();
  }
  if (c.rank() == 0) {
    for (int r = 0; r < c.size(); ++r) {
      const std::string file = fmt::format("step-00000004/rank-{:05d}.h5", r);
      EXPECT_EQ(testing::read_text(dir / "sync" / file), testing::read_text(dir / "async" / file)) << file;
    }
    EXPECT_EQ(read_latest(dir / "async"), dir / "async/step-00000004");
  }
}

TEST(CheckpointMpi, ASignalOnOneRankStopsEveryRankAfterTheSameStep) {
  MpiCoordinator c;
  StopSignal stop(c, {.check_every = 2});
  std::int64_t stopped_at = -1;
  for (std::int64_t step = 1; step <= 20; ++step) {
    if (c.rank() == c.size() - 1 && step == 5) {
      std::raise(SIGTERM);
    }
    if (stop.should_stop(step)) {
      stopped_at = step;
      break;
    }
  }
  EXPECT_EQ(stopped_at, 6);
  EXPECT_EQ(stop.reason(), StopReason::kSignal);
  EXPECT_EQ(c.all_reduce_max(stopped_at), stopped_at);  // the same everywhere
}

}  // namespace
}  // namespace tessera::runtime
