#include "runtime/checkpoint/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

using ::testing::HasSubstr;

Manifest sample() {
  Manifest m;
  m.tessera_version = "0.1.0";
  m.job = "toy";
  m.name = "run";
  m.config = "job: toy\nseed: 1\n";
  m.step = 200;
  m.epoch = 3;
  m.world_size = 2;
  m.unix_time = 1.5e9;
  m.metadata = {{"k", "v"}};
  for (int r = 0; r < 2; ++r) {
    RankEntry e;
    e.rank = r;
    e.file = "rank-0000" + std::to_string(r) + ".h5";
    e.file_bytes = 1000U + static_cast<unsigned>(r);
    e.file_checksum = 0xfedcba9876543210ULL + static_cast<unsigned>(r);
    e.arrays.push_back({"experts/w", ArrayKind::kShard, DType::kBFloat16, {2, 4}, {4, 4}, {2 * r, 0},
                        "shard/experts/w@0", 42U + static_cast<unsigned>(r)});
    e.rng_state = std::string("\0\xff binary", 9);
    e.blobs = {{"data/train", std::string("\x01\x02", 2)}};
    m.ranks.push_back(e);
  }
  return m;
}

TEST(Manifest, RoundTripsThroughJsonWithBinaryStatesIntact) {
  const Manifest m = sample();
  const std::string text = encode_manifest(m);
  EXPECT_THAT(text, HasSubstr("\"step\": 200"));
  EXPECT_THAT(text, HasSubstr("\"checksum\": \"xxh3:"));
  Manifest back = decode_manifest(text, "x");
  EXPECT_EQ(back.step, 200);
  EXPECT_EQ(back.config, m.config);
  ASSERT_EQ(back.ranks.size(), 2U);
  EXPECT_EQ(back.ranks[1].file_checksum, m.ranks[1].file_checksum);
  EXPECT_EQ(back.ranks[1].rng_state, m.ranks[1].rng_state);
  EXPECT_EQ(back.ranks[1].blobs, m.ranks[1].blobs);
  EXPECT_EQ(back.ranks[1].arrays[0].offset, (Shape{2, 0}));
  EXPECT_EQ(back.ranks[1].arrays[0].dtype, DType::kBFloat16);
  EXPECT_EQ(back.shards("experts/w").size(), 2U);
  EXPECT_EQ(back.total_bytes(), 2001U);
}

TEST(Manifest, AnyChangedByteIsDetected) {
  const std::string text = encode_manifest(sample());
  for (std::size_t at : {std::size_t{3}, text.size() / 2, text.size() - 30}) {
    std::string damaged = text;
    damaged[at] = damaged[at] == '7' ? '8' : '7';
    EXPECT_THROW(decode_manifest(damaged, "x"), CheckpointError) << "byte " << at;
  }
  EXPECT_THROW(decode_manifest(text.substr(0, text.size() / 2), "x"), CheckpointError);
}

TEST(Manifest, RankEntriesRoundTripInBinary) {
  const RankEntry e = sample().ranks[1];
  RankEntry back = decode_rank_entry(encode_rank_entry(e));
  EXPECT_EQ(back.file, e.file);
  EXPECT_EQ(back.arrays[0].checksum, e.arrays[0].checksum);
  EXPECT_EQ(back.rng_state, e.rng_state);
}

}  // namespace
}  // namespace tessera::runtime
