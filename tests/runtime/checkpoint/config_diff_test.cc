#include "runtime/checkpoint/config_diff.h"

#include <gtest/gtest.h>

namespace tessera::runtime {
namespace {

TEST(ConfigDiff, ListsChangedAddedAndRemovedKeysSorted) {
  auto diff = diff_configs("seed: 1\nmodel: {layers: [1, 2], act: tanh}\nold: x\n",
                           "seed: 2\nmodel: {layers: [1, 3], act: tanh}\nnew: y\n");
  ASSERT_EQ(diff.size(), 4U);
  EXPECT_EQ(diff[0].key, "model.layers");
  EXPECT_EQ(diff[0].saved, "[1, 2]");
  EXPECT_EQ(diff[0].current, "[1, 3]");
  EXPECT_EQ(diff[1].key, "new");
  EXPECT_EQ(diff[1].saved, "<absent>");
  EXPECT_EQ(diff[2].key, "old");
  EXPECT_EQ(diff[2].current, "<absent>");
  EXPECT_EQ(diff[3].key, "seed");
  EXPECT_EQ(describe({diff[3]}), "seed: 1 in the checkpoint, 2 now");
}

TEST(ConfigDiff, IgnoresWholeSectionsByPrefixButNotLookalikes) {
  auto diff = diff_configs("checkpoint: {keep: 1}\ncheckpointing: 1\ntrain: {epochs: 1, lr: 0.1}\n",
                           "checkpoint: {keep: 5}\ncheckpointing: 2\ntrain: {epochs: 9, lr: 0.1}\n",
                           {"checkpoint", "train.epochs"});
  ASSERT_EQ(diff.size(), 1U);
  EXPECT_EQ(diff[0].key, "checkpointing");
}

TEST(ConfigDiff, EqualConfigsHaveNoDifferences) {
  EXPECT_TRUE(diff_configs("a: {b: 1}\n", "a:\n  b: 1\n").empty());
}

}  // namespace
}  // namespace tessera::runtime
