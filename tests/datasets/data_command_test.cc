// `tessera data convert|ls|verify` as a user runs them, on the real
// Fashion-MNIST files and fortunes corpus installed by scripts/setup.sh.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/datasets/testing/shards.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

using ::testing::HasSubstr;
using testing::run_command;

TEST(DataCommand, ConvertFashionMnistThenVerifyAndList) {
  testing::TempDir dir;
  auto convert = run_command({TESSERA_BIN, "data", "convert", "fashion-mnist", "--out", dir.path().string(),
                              "--limit", "2500"});
  ASSERT_EQ(convert.exit_code, 0) << convert.output;
  const std::string train_spec = (dir / "fmnist-train-{000000..000002}.tar").string();
  EXPECT_THAT(convert.output, HasSubstr("train: 2500 samples in 3 shards: " + train_spec));
  EXPECT_THAT(convert.output, HasSubstr("test: 2500 samples in 3 shards"));

  auto verify = run_command({TESSERA_BIN, "data", "verify", train_spec, "--decode"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("3 shards, 2500 samples"));
  EXPECT_THAT(verify.output, HasSubstr("0 with errors"));

  auto ls = run_command({TESSERA_BIN, "data", "ls", (dir / "fmnist-train-000000.tar").string(), "--limit", "4"});
  EXPECT_EQ(ls.exit_code, 0) << ls.output;
  EXPECT_THAT(ls.output, HasSubstr("train-000000.cls"));
  EXPECT_THAT(ls.output, HasSubstr("npy      train-000001"));
  EXPECT_THAT(ls.output, HasSubstr("2000 members, 1000 samples"));
}

TEST(DataCommand, ConvertTextFromFortunes) {
  testing::TempDir dir;
  auto convert = run_command({TESSERA_BIN, "data", "convert", "text", "--out", dir.path().string(), "--seq-len",
                              "512", "--per-shard", "2000"});
  ASSERT_EQ(convert.exit_code, 0) << convert.output;
  EXPECT_THAT(convert.output, HasSubstr("train: "));
  EXPECT_THAT(convert.output, HasSubstr("eval: "));
  auto verify = run_command({TESSERA_BIN, "data", "verify", (dir / "text-train-{000000..000001}.tar").string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("2 shards, 4000 samples"));
}

TEST(DataCommand, VerifyNamesTheBrokenShardAndFails) {
  testing::TempDir dir;
  datasets::testing::write_numbered_shard(dir / "a.tar", "k", 0, 10);
  datasets::testing::write_numbered_shard(dir / "b.tar", "k", 10, 10);
  std::string bytes = datasets::testing::slurp(dir / "b.tar");
  datasets::testing::spit(dir / "b.tar", bytes.substr(0, 4096 + 100));
  auto verify = run_command({TESSERA_BIN, "data", "verify", (dir / "{a,b}.tar").string()});
  EXPECT_EQ(verify.exit_code, 1) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("ok           10 samples"));
  EXPECT_THAT(verify.output, HasSubstr("ERROR         1 samples"));
  EXPECT_THAT(verify.output, HasSubstr("b.tar, offset 4096: truncated header: the shard ends 100 bytes into a 512-byte block (after member k000011.cls)"));
  EXPECT_THAT(verify.output, HasSubstr("2 shards, 11 samples"));
}

TEST(DataCommand, ListsAShardFromACommand) {
  testing::TempDir dir;
  datasets::testing::write_numbered_shard(dir / "a.tar", "k", 0, 3);
  auto ls = run_command({TESSERA_BIN, "data", "ls", "pipe:cat " + (dir / "a.tar").string()});
  EXPECT_EQ(ls.exit_code, 0) << ls.output;
  EXPECT_THAT(ls.output, HasSubstr("9 members, 3 samples"));
  auto missing = run_command({TESSERA_BIN, "data", "ls", (dir / "none.tar").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("none.tar, offset 0: cannot open"));
}

}  // namespace
}  // namespace tessera
