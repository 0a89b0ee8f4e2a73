#include "datasets/open_shard.h"
#include "datasets/shard_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/datasets/testing/shards.h"
#include "tests/testing/temp_dir.h"

namespace tessera::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::describe;
using testing::read_samples;
using testing::tar_bytes;

std::string split(std::string_view name) {
  std::string_view key;
  std::string_view ext;
  if (!split_member_name(name, key, ext)) {
    return "dropped";
  }
  return std::string(key) + " | " + std::string(ext);
}

// The table verified against webdataset 1.0.2's base_plus_ext.
TEST(SplitMemberName, MatchesThePythonLibrary) {
  EXPECT_EQ(split("a.jpg"), "a | jpg");
  EXPECT_EQ(split("dir/sub/file.seg.json"), "dir/sub/file | seg.json");
  EXPECT_EQ(split("a.b/c.d"), "a.b/c | d");
  EXPECT_EQ(split("x/y.tar.gz"), "x/y | tar.gz");
  EXPECT_EQ(split("a..b"), "a | .b");
  EXPECT_EQ(split("a."), "a | ");
  EXPECT_EQ(split("./a.jpg"), "./a | jpg");
  EXPECT_EQ(split("a.JPG"), "a | JPG");
  EXPECT_EQ(split("noext"), "dropped");
  EXPECT_EQ(split("a/b.c/d"), "dropped");
  EXPECT_EQ(split(".hidden"), "dropped");
  EXPECT_EQ(split("dir/.hidden"), "dir/ | hidden");
  EXPECT_EQ(split("a.b/.c"), "dropped");
}

TEST(MetadataMembers, AreTopLevelDunderNames) {
  EXPECT_TRUE(is_metadata_member("__meta__"));
  EXPECT_TRUE(is_metadata_member("__meta__/x.jpg"));
  EXPECT_TRUE(is_metadata_member("__key__.txt__"));
  EXPECT_FALSE(is_metadata_member("d/__x__/a.cls"));
  EXPECT_FALSE(is_metadata_member("__a.cls"));
}

TEST(ShardReader, GroupsAdjacentMembersByKey) {
  auto samples = read_samples(tar_bytes({{"a.cls", "1"}, {"a.txt", "one"}, {"b.cls", "2"}, {"b.seg.json", "{}"}}));
  EXPECT_THAT(describe(samples), ElementsAre("a: cls=1 txt=one", "b: cls=2 seg.json={}"));
  EXPECT_EQ(*samples[0].url, "mem.tar");
  EXPECT_EQ(samples[0].location.offset, 0U);
  EXPECT_EQ(samples[1].location.offset, 2048U);
  EXPECT_EQ(samples[1].location.ordinal, 1U);
}

TEST(ShardReader, NonAdjacentKeyMakesTwoSamplesUnlessStrict) {
  const std::string tar = tar_bytes({{"a.cls", "1"}, {"b.cls", "2"}, {"a.txt", "x"}});
  EXPECT_THAT(describe(read_samples(tar)), ElementsAre("a: cls=1", "b: cls=2", "a: txt=x"));
  try {
    read_samples(tar, {.strict = true});
    FAIL() << "strict mode accepted a reappearing key";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("strict: key reappears"));
    EXPECT_EQ(e.member(), "a");
  }
}

TEST(ShardReader, LowercasesExtensionsAndKeepsKeyCase) {
  const std::string tar = tar_bytes({{"a.CLS", "1"}, {"A.jpg", "j"}});
  EXPECT_THAT(describe(read_samples(tar)), ElementsAre("a: cls=1", "A: jpg=j"));
  EXPECT_THAT(describe(read_samples(tar, {.case_sensitive = true})), ElementsAre("a: CLS=1", "A: jpg=j"));
}

TEST(ShardReader, SkipsMetadataAndNamesWithoutExtension) {
  const std::string tar = tar_bytes(
      {{"__meta__", "m"}, {"__meta__/x.jpg", "m"}, {"noext", "n"}, {"d/__x__/a.cls", "1"}, {"b.cls", "2"}});
  EXPECT_THAT(describe(read_samples(tar)), ElementsAre("d/__x__/a: cls=1", "b: cls=2"));
}

TEST(ShardReader, KeepsZeroLengthMembers) {
  EXPECT_THAT(describe(read_samples(tar_bytes({{"a.cls", ""}, {"a.txt", "t"}}))), ElementsAre("a: cls= txt=t"));
}

TEST(ShardReader, DuplicateExtensionFailsThatSampleOnly) {
  const std::string tar = tar_bytes({{"a.cls", "1"}, {"a.cls", "1again"}, {"b.cls", "2"}});
  auto source = std::make_unique<MemorySource>("d.tar", std::as_bytes(std::span(tar)));
  ShardReader reader(std::move(source), std::make_shared<const std::string>("d.tar"), 0, {});
  Sample s;
  try {
    reader.next(s);
    FAIL() << "a duplicate extension was accepted";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("duplicate extension"));
    EXPECT_EQ(e.member(), "a.cls");
  }
  EXPECT_FALSE(reader.broken());
  ASSERT_TRUE(reader.next(s));
  EXPECT_EQ(s.key, "b");
  EXPECT_FALSE(reader.next(s));
}

TEST(ShardReader, TruncatedShardBreaksTheReader) {
  std::string tar = tar_bytes({{"a.cls", "1"}, {"a.txt", "x"}, {"b.cls", "2"}});
  tar.resize(2048);  // cut after a.txt, before b.cls and the end marker
  auto source = std::make_unique<MemorySource>("t.tar", std::as_bytes(std::span(tar)));
  ShardReader reader(std::move(source), std::make_shared<const std::string>("t.tar"), 0, {});
  Sample s;
  EXPECT_THROW(reader.next(s), DataError);  // the sample a cannot be known complete
  EXPECT_TRUE(reader.broken());
}

TEST(ShardReader, ResumesFromAPosition) {
  const std::string tar = tar_bytes({{"a.cls", "1"}, {"b.cls", "2"}, {"b.txt", "x"}, {"c.cls", "3"}});
  auto samples = read_samples(tar);
  ASSERT_EQ(samples.size(), 3U);
  auto first = std::make_unique<MemorySource>("t.tar", std::as_bytes(std::span(tar)));
  ShardReader reader(std::move(first), std::make_shared<const std::string>("t.tar"), 0, {});
  Sample s;
  ASSERT_TRUE(reader.next(s));
  const ShardPosition at = reader.position();
  EXPECT_EQ(at.offset, 1024U);
  EXPECT_EQ(at.ordinal, 1U);

  auto second = std::make_unique<MemorySource>("t.tar", std::as_bytes(std::span(tar)));
  second->skip(at.offset);
  ShardReader resumed(std::move(second), std::make_shared<const std::string>("t.tar"), 0, {}, at);
  std::vector<Sample> rest;
  while (resumed.next(s)) {
    rest.push_back(std::move(s));
    s = Sample{};
  }
  EXPECT_THAT(describe(rest), ElementsAre("b: cls=2 txt=x", "c: cls=3"));
  EXPECT_EQ(rest[1].location.ordinal, 2U);
}

TEST(ShardReader, HeadersOnlyAndCounting) {
  tessera::testing::TempDir dir;
  testing::write_numbered_shard(dir / "s.tar", "k", 0, 25);
  EXPECT_EQ(count_samples((dir / "s.tar").string(), {}, {}), 25U);
  auto reader = open_shard_reader(std::make_shared<const std::string>((dir / "s.tar").string()), 0, {}, {});
  Sample s;
  ASSERT_TRUE(reader->next(s, /*with_data=*/false));
  EXPECT_EQ(s.fields.size(), 3U);
  EXPECT_EQ(s.fields[0].data, nullptr);
  EXPECT_GT(s.fields[0].size, 0U);
}

}  // namespace
}  // namespace tessera::datasets
