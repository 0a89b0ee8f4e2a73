#include "datasets/shard_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "runtime/error.h"
#include "tests/testing/temp_dir.h"

namespace tessera::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ShardSpec, RangesKeepZeroPadding) {
  EXPECT_THAT(expand_shard_spec("d/train-{000000..000002}.tar"),
              ElementsAre("d/train-000000.tar", "d/train-000001.tar", "d/train-000002.tar"));
  EXPECT_THAT(expand_shard_spec("s{8..11}.tar"), ElementsAre("s8.tar", "s9.tar", "s10.tar", "s11.tar"));
  EXPECT_THAT(expand_shard_spec("s{3..1}.tar"), ElementsAre("s3.tar", "s2.tar", "s1.tar"));
  EXPECT_THAT(expand_shard_spec("s{00..10..5}.tar"), ElementsAre("s00.tar", "s05.tar", "s10.tar"));
}

TEST(ShardSpec, ListsSeveralAndNestedBraces) {
  EXPECT_THAT(expand_shard_spec("{train,val}-{0..1}.tar"),
              ElementsAre("train-0.tar", "train-1.tar", "val-0.tar", "val-1.tar"));
  EXPECT_THAT(expand_shard_spec("x{a,b{1..2}}.tar"), ElementsAre("xa.tar", "xb1.tar", "xb2.tar"));
}

TEST(ShardSpec, SpecsJoinWithDoubleColon) {
  EXPECT_THAT(expand_shard_spec("a-{0..1}.tar::http://h:8000/b.tar:: pipe:cat c.tar"),
              ElementsAre("a-0.tar", "a-1.tar", "http://h:8000/b.tar", "pipe:cat c.tar"));
}

TEST(ShardSpec, ListFileWithCommentsAndRelativePaths) {
  tessera::testing::TempDir dir;
  tessera::testing::write_text(dir / "lists/shards.txt",
                               "# training shards\nx-{0..1}.tar\n\n/abs/y.tar\nhttp://h/z.tar\n");
  const std::string spec = fmt::format("@{}", (dir / "lists/shards.txt").string());
  EXPECT_THAT(expand_shard_spec(spec),
              ElementsAre((dir / "lists/x-0.tar").string(), (dir / "lists/x-1.tar").string(), "/abs/y.tar",
                          "http://h/z.tar"));
}

TEST(ShardSpec, ErrorsNameTheSpec) {
  EXPECT_THAT([] { expand_shard_spec("a-{0..3.tar"); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("'{' without '}'")));
  EXPECT_THAT([] { expand_shard_spec("a-{x..3}.tar"); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("not a range of integers")));
  EXPECT_THAT([] { expand_shard_spec(" :: "); }, ::testing::ThrowsMessage<ConfigError>(HasSubstr("names no shards")));
  EXPECT_THAT([] { expand_shard_spec("@/nonexistent/list"); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("cannot be read")));
}

}  // namespace
}  // namespace tessera::datasets
