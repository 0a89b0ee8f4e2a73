#include "datasets/sample_stream.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/shard_spec.h"
#include "runtime/error.h"
#include "tests/datasets/testing/shards.h"
#include "tests/testing/temp_dir.h"

namespace tessera::datasets {
namespace {

using ::testing::HasSubstr;

class Stream : public ::testing::Test {
 protected:
  // 7 shards of uneven sizes: 330 samples, keys k000000..k000329.
  void SetUp() override { spec_ = testing::write_numbered_shards(dir_.path(), {40, 60, 35, 50, 45, 70, 30}); }

  std::vector<std::string> urls() const { return expand_shard_spec(spec_); }

  static std::vector<std::string> drain(SampleStream& s, std::size_t limit = SIZE_MAX) {
    std::vector<std::string> keys;
    Sample sample;
    while (keys.size() < limit && s.next(sample)) {
      keys.push_back(sample.key);
    }
    return keys;
  }

  std::vector<std::string> epoch_keys(const DataConfig& c, Place place, std::int64_t epoch) const {
    SampleStream s(c, urls(), place);
    s.start_epoch(epoch);
    return drain(s);
  }

  static std::vector<std::string> all_keys(std::size_t n) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < n; ++i) {
      keys.push_back(fmt::format("k{:06}", i));
    }
    return keys;
  }

  static std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }

  tessera::testing::TempDir dir_;
  std::string spec_;
};

TEST_F(Stream, OneWorkerInWrittenOrderReadsEverySampleOnce) {
  DataConfig c;
  c.workers = 1;
  c.shard_shuffle = false;
  EXPECT_EQ(epoch_keys(c, {}, 0), all_keys(330));
}

TEST_F(Stream, WorkersInterleaveTheSameWayEveryRun) {
  DataConfig c;
  c.workers = 3;
  c.prefetch = 4;
  auto first = epoch_keys(c, {}, 0);
  EXPECT_EQ(sorted(first), all_keys(330));
  EXPECT_NE(first, all_keys(330));
  for (int run = 0; run < 3; ++run) {
    EXPECT_EQ(epoch_keys(c, {}, 0), first);
  }
}

TEST_F(Stream, ShardOrderChangesEveryEpochFromTheSeed) {
  DataConfig c;
  c.workers = 1;
  auto e0 = epoch_keys(c, {.seed = 5}, 0);
  auto e1 = epoch_keys(c, {.seed = 5}, 1);
  EXPECT_NE(e0, e1);
  EXPECT_EQ(sorted(e0), sorted(e1));
  EXPECT_EQ(epoch_keys(c, {.seed = 5}, 1), e1);
  EXPECT_NE(epoch_keys(c, {.seed = 6}, 1), e1);
}

TEST_F(Stream, ShuffleBufferMixesAcrossShards) {
  DataConfig c;
  c.workers = 2;
  c.shuffle = 100;
  c.shuffle_initial = 10;
  auto keys = epoch_keys(c, {.seed = 3}, 0);
  EXPECT_EQ(sorted(keys), all_keys(330));
  c.shuffle = 0;
  EXPECT_NE(epoch_keys(c, {.seed = 3}, 0), keys);
  // Adjacent samples rarely come from the same shard run any more.
  int adjacent = 0;
  for (std::size_t i = 1; i < keys.size(); ++i) {
    adjacent += std::abs(std::stoi(keys[i].substr(1)) - std::stoi(keys[i - 1].substr(1))) == 1;
  }
  EXPECT_LT(adjacent, 30);
}

TEST_F(Stream, EqualizeGivesEveryRankTheSameCount) {
  for (Equalize eq : {Equalize::kDrop, Equalize::kPad, Equalize::kNone}) {
    DataConfig c;
    c.workers = 2;
    c.shuffle = 20;
    c.equalize = eq;
    for (std::int64_t epoch : {0, 1}) {
      std::vector<std::vector<std::string>> per_rank;
      for (int r = 0; r < 3; ++r) {
        per_rank.push_back(epoch_keys(c, {.rank = r, .world = 3, .seed = 9}, epoch));
      }
      std::set<std::size_t> sizes;
      std::multiset<std::string> all;
      for (const auto& keys : per_rank) {
        sizes.insert(keys.size());
        all.insert(keys.begin(), keys.end());
      }
      std::set<std::string> distinct(all.begin(), all.end());
      if (eq == Equalize::kNone) {
        EXPECT_EQ(all.size(), 330U);  // every sample exactly once
        EXPECT_EQ(distinct.size(), 330U);
      } else {
        EXPECT_EQ(sizes.size(), 1U) << "equalize " << static_cast<int>(eq) << " epoch " << epoch;
      }
      if (eq == Equalize::kDrop) {
        EXPECT_EQ(distinct.size(), all.size()) << "drop never repeats a sample";
        EXPECT_LT(all.size(), 330U);
      }
      if (eq == Equalize::kPad) {
        EXPECT_EQ(distinct.size(), 330U) << "pad reads every sample";
        EXPECT_GT(all.size(), 330U);
      }
    }
  }
}

TEST_F(Stream, SamplesPerRankWrapsAroundItsShards) {
  DataConfig c;
  c.workers = 2;
  c.epoch.samples_per_rank = 400;
  SampleStream s(c, urls(), {.rank = 1, .world = 2});
  s.start_epoch(0);
  EXPECT_EQ(drain(s).size(), 400U);
  EXPECT_GT(s.stats().wrapped_passes, 0U);
  EXPECT_EQ(s.samples_per_epoch(), 400U);
}

TEST_F(Stream, FewerShardsThanRanksSplitsBySample) {
  DataConfig c;
  c.equalize = Equalize::kNone;
  const std::vector<std::string> two = {urls()[0], urls()[1]};  // 40 + 60 samples
  std::multiset<std::string> all;
  for (int r = 0; r < 4; ++r) {
    SampleStream s(c, two, {.rank = r, .world = 4});
    EXPECT_TRUE(s.plan().split_by_sample());
    s.start_epoch(0);
    auto keys = drain(s);
    EXPECT_EQ(keys.size(), 25U);
    all.insert(keys.begin(), keys.end());
  }
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 100U);
}

TEST_F(Stream, ResampledStreamsDrawShardsWithReplacement) {
  DataConfig c;
  c.resampled = true;
  c.epoch.samples_per_rank = 1000;
  auto keys = epoch_keys(c, {.seed = 2}, 0);
  EXPECT_EQ(keys.size(), 1000U);
  EXPECT_LT(std::set<std::string>(keys.begin(), keys.end()).size(), 330U + 1);
  EXPECT_NE(epoch_keys(c, {.seed = 2}, 1), keys);
}

TEST_F(Stream, DecodesConfiguredOutputs) {
  DataConfig c;
  c.outputs = {{"label", {"cls"}}, {"vec", {"png", "npy"}}, {"text", {"txt"}}};
  SampleStream s(c, urls(), {});
  s.start_epoch(0);
  Sample sample;
  ASSERT_TRUE(s.next(sample));
  ASSERT_EQ(sample.values.size(), 3U);
  const std::int64_t id = std::get<std::int64_t>(sample.values[0]);
  EXPECT_EQ(sample.key, fmt::format("k{:06}", id));
  EXPECT_EQ(std::get<Array>(sample.values[1]).shape, std::vector<std::int64_t>{4});
  EXPECT_EQ(std::get<std::string>(sample.values[2]), fmt::format("sample {}", id));
}

TEST_F(Stream, MissingFieldIsADataErrorOrASkip) {
  DataConfig c;
  c.outputs = {{"image", {"jpg"}}};
  SampleStream s(c, urls(), {});
  s.start_epoch(0);
  Sample sample;
  EXPECT_THAT([&] { s.next(sample); }, ::testing::ThrowsMessage<DataError>(HasSubstr("no .jpg member for output 'image'")));
  c.on_error = OnError::kSkip;
  SampleStream skipping(c, urls(), {});
  skipping.start_epoch(0);
  EXPECT_FALSE(skipping.next(sample));
  EXPECT_EQ(skipping.stats().skipped_samples, 330U);
}

TEST_F(Stream, MissingShardsAreAllNamedAtStartup) {
  std::vector<std::string> u = urls();
  u.push_back((dir_ / "gone-1.tar").string());
  u.push_back((dir_ / "gone-2.tar").string());
  try {
    SampleStream s(DataConfig{}, u, {});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("2 of 9 shards missing"));
    EXPECT_THAT(e.what(), HasSubstr("gone-2.tar"));
  }
}

TEST_F(Stream, CorruptShardRaisesOrIsSkippedAndCounted) {
  // Cut shard 3 (50 samples) in the middle of a member.
  const std::string bad = urls()[3];
  std::string bytes = testing::slurp(bad);
  testing::spit(bad, bytes.substr(0, bytes.size() / 2 + 100));
  DataConfig c;
  c.workers = 2;
  c.shard_shuffle = false;
  SampleStream raising(c, urls(), {});
  raising.start_epoch(0);
  try {
    drain(raising);
    FAIL() << "a truncated shard passed";
  } catch (const DataError& e) {
    EXPECT_EQ(e.url(), bad);
    EXPECT_THAT(e.what(), HasSubstr("truncated"));
  }
  c.on_error = OnError::kSkip;
  SampleStream skipping(c, urls(), {});
  skipping.start_epoch(0);
  auto keys = drain(skipping);
  EXPECT_EQ(skipping.stats().skipped_shards, 1U);
  EXPECT_GT(keys.size(), 330U - 50U);  // the samples before the cut are kept
  EXPECT_LT(keys.size(), 330U);
  // With several ranks the counts stay equal: a rank that lost samples wraps.
  for (int r = 0; r < 2; ++r) {
    SampleStream ranked(c, urls(), {.rank = r, .world = 2});
    ranked.start_epoch(0);
    EXPECT_EQ(drain(ranked).size(), *ranked.samples_per_epoch());
  }
}

// Resume: for every cut point, the restored stream continues exactly.
struct ResumeCase {
  std::string name;
  DataConfig config;
  Place place;
};

class StreamResume : public Stream, public ::testing::WithParamInterface<int> {};

std::vector<ResumeCase> resume_cases() {
  std::vector<ResumeCase> cases;
  DataConfig c;
  c.workers = 3;
  c.shuffle = 64;
  c.shuffle_initial = 16;
  c.prefetch = 8;
  cases.push_back({"shuffle_3_workers", c, {.seed = 11}});
  cases.push_back({"rank_1_of_3", c, {.rank = 1, .world = 3, .seed = 11}});
  DataConfig wrap = c;
  wrap.epoch.samples_per_rank = 500;
  cases.push_back({"wrapping", wrap, {.rank = 0, .world = 2, .seed = 4}});
  DataConfig resampled = c;
  resampled.resampled = true;
  resampled.epoch.samples_per_rank = 300;
  cases.push_back({"resampled", resampled, {.seed = 8}});
  DataConfig by_sample = c;
  by_sample.split = SplitMode::kSample;
  by_sample.outputs = {{"label", {"cls"}}};
  cases.push_back({"by_sample_decoded", by_sample, {.rank = 2, .world = 4, .seed = 1}});
  return cases;
}

TEST_P(StreamResume, RestoredStreamYieldsExactlyTheRest) {
  const ResumeCase rc = resume_cases()[static_cast<std::size_t>(GetParam())];
  SampleStream reference(rc.config, urls(), rc.place);
  reference.start_epoch(2);
  const std::vector<std::string> expected = drain(reference);
  ASSERT_FALSE(expected.empty());
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{17}, expected.size() / 2, expected.size() - 1,
                          expected.size()}) {
    std::string state;
    std::vector<std::string> got;
    {
      SampleStream first(rc.config, urls(), rc.place);
      first.start_epoch(2);
      got = drain(first, cut);
      state = first.save_state();
    }
    SampleStream second(rc.config, urls(), rc.place);
    second.restore_state(state);
    auto rest = drain(second);
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(got, expected) << rc.name << ", cut after " << cut;
    // The restored stream goes on into the next epoch like the original.
    second.start_epoch(3);
    reference.start_epoch(3);
    EXPECT_EQ(drain(second, 50), drain(reference, 50)) << rc.name;
    reference.start_epoch(2);
    drain(reference);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, StreamResume, ::testing::Range(0, 5), [](const auto& param_info) {
  return resume_cases()[static_cast<std::size_t>(param_info.param)].name;
});

TEST_F(Stream, RestoreRefusesAStateFromAnotherSetup) {
  DataConfig c;
  c.workers = 2;
  SampleStream s(c, urls(), {.rank = 0, .world = 2});
  s.start_epoch(0);
  const std::string state = s.save_state();
  SampleStream other_rank(c, urls(), {.rank = 1, .world = 2});
  EXPECT_THAT([&] { other_rank.restore_state(state); },
              ::testing::ThrowsMessage<CheckpointError>(HasSubstr("saved on rank 0 of 2")));
  DataConfig more_workers = c;
  more_workers.workers = 3;
  SampleStream other_workers(more_workers, urls(), {.rank = 0, .world = 2});
  EXPECT_THAT([&] { other_workers.restore_state(state); },
              ::testing::ThrowsMessage<CheckpointError>(HasSubstr("with 2 workers")));
  EXPECT_THROW(s.restore_state("garbage"), CheckpointError);
}

}  // namespace
}  // namespace tessera::datasets
