// The in-memory source: DistributedSampler order, equal batches, exact resume.

#include <numeric>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "jobs/train/memory_source.h"
#include "runtime/error.h"

namespace tessera::jobs::train {
namespace {

// Sample i has input value i and label i % 10.
MemoryDataset numbered(std::int64_t n) {
  return MemoryDataset{torch::arange(n, torch::kFloat).unsqueeze(1), torch::arange(n, torch::kLong) % 10};
}

MemorySourceOptions options(std::int64_t batch, int rank, int world) {
  MemorySourceOptions o;
  o.global_batch = batch;
  o.rank = rank;
  o.world = world;
  o.seed = 7;
  return o;
}

std::vector<std::int64_t> ids(const Batch& batch) {
  torch::Tensor x = batch.input.flatten().to(torch::kLong);
  return std::vector<std::int64_t>(x.data_ptr<std::int64_t>(), x.data_ptr<std::int64_t>() + x.numel());
}

TEST(MemorySource, RanksSplitTheSameGlobalBatchAsOneRank) {
  MemorySource one(numbered(100), options(12, 0, 1));
  std::vector<MemorySource> four;
  for (int r = 0; r < 4; ++r) {
    four.emplace_back(numbered(100), options(12, r, 4));
  }
  EXPECT_EQ(one.batches_per_epoch(), 8);  // 100 / 12, the partial batch dropped
  for (int step = 0; step < 20; ++step) {  // crosses two epoch boundaries
    std::vector<std::int64_t> global = ids(one.next());
    std::vector<std::int64_t> joined;
    for (auto& rank : four) {
      Batch b = rank.next();
      EXPECT_EQ(b.size(), 3);
      auto part = ids(b);
      joined.insert(joined.end(), part.begin(), part.end());
    }
    EXPECT_EQ(joined, global) << "step " << step;
  }
}

TEST(MemorySource, EachEpochIsAFreshPermutationWithoutRepeats) {
  MemorySource source(numbered(40), options(10, 0, 1));
  std::vector<std::int64_t> epoch0;
  std::vector<std::int64_t> epoch1;
  for (int i = 0; i < 4; ++i) {
    auto b = ids(source.next());
    epoch0.insert(epoch0.end(), b.begin(), b.end());
  }
  for (int i = 0; i < 4; ++i) {
    auto b = ids(source.next());
    epoch1.insert(epoch1.end(), b.begin(), b.end());
  }
  EXPECT_EQ(std::set<std::int64_t>(epoch0.begin(), epoch0.end()).size(), 40u);
  EXPECT_EQ(std::set<std::int64_t>(epoch1.begin(), epoch1.end()).size(), 40u);
  EXPECT_NE(epoch0, epoch1);
}

TEST(MemorySource, RestoreContinuesExactlyEvenOnAnotherWorldSize) {
  MemorySource source(numbered(50), options(10, 0, 1));
  for (int i = 0; i < 7; ++i) {
    source.next();
  }
  const std::string state = source.state();
  std::vector<std::int64_t> expected = ids(source.next());
  MemorySource resumed(numbered(50), options(10, 1, 2));
  resumed.restore(state);
  std::vector<std::int64_t> half = ids(resumed.next());
  EXPECT_EQ(half, std::vector<std::int64_t>(expected.begin() + 5, expected.end()));
  EXPECT_THROW(resumed.restore("memory epoch 1 batch 99"), CheckpointError);
}

TEST(MemorySource, BatchThatDoesNotDivideOverRanksIsAConfigError) {
  try {
    MemorySource source(numbered(50), options(10, 0, 3));
    FAIL() << "accepted a batch of 10 over 3 ranks";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("data.batch_size = 10 (must be divisible by the 3 ranks)"));
  }
}

TEST(MemorySource, AutoencoderFormatScalesBytesAndTargetsTheInput) {
  MemoryDataset images{torch::full({4, 2}, 255, torch::kUInt8), {}};
  MemorySourceOptions o = options(2, 0, 1);
  o.format = SampleFormat{SampleFormat::Target::kInput, 1.0 / 255};
  MemorySource source(images, o);
  Batch b = source.next();
  EXPECT_TRUE(torch::allclose(b.input, torch::ones({2, 2})));
  EXPECT_TRUE(torch::equal(b.target, b.input));
}

TEST(MemoryEvalSource, RanksCoverTheSplitOnceBetweenThem) {
  std::vector<std::int64_t> seen;
  for (int r = 0; r < 3; ++r) {
    MemoryEvalSource eval(numbered(10), 2, r, 3, SampleFormat{});
    eval.for_each_batch([&seen](const Batch& b) {
      auto part = ids(b);
      seen.insert(seen.end(), part.begin(), part.end());
    });
  }
  std::vector<std::int64_t> all(10);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(seen, all);
}

}  // namespace
}  // namespace tessera::jobs::train
