#include "runtime/checkpoint/checkpoint_state.h"

#include <gtest/gtest.h>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

TEST(CheckpointState, TakesArraysOfEveryKindWithSizesMatchingTheirShapes) {
  std::vector<float> w(6, 1.0F);
  std::vector<std::int64_t> block(4, 2);
  CheckpointState state(7, 1);
  state.add_replicated("model/w", array_ref(std::span<const float>(w), {2, 3}));
  state.add_local("opt/state", array_ref(std::span<const float>(w)));
  state.add_shard("experts/w", array_ref(std::span<const std::int64_t>(block), {1, 4}), {4, 4}, {2, 0});
  state.add_shard("experts/w", array_ref(std::span<const std::int64_t>(block), {1, 4}), {4, 4}, {3, 0});
  ASSERT_EQ(state.arrays().size(), 4U);
  EXPECT_EQ(state.arrays()[0].data.shape, (Shape{2, 3}));
  EXPECT_EQ(state.step(), 7);
  EXPECT_EQ(state.epoch(), 1);
}

TEST(CheckpointState, RejectsBadNamesDuplicatesAndMismatchedSizes) {
  std::vector<float> w(6);
  auto ref = [&](Shape shape) { return array_ref(std::span<const float>(w), std::move(shape)); };
  CheckpointState state(1);
  EXPECT_THROW(state.add_local("", ref({6})), InternalError);
  EXPECT_THROW(state.add_local("/abs", ref({6})), InternalError);
  EXPECT_THROW(state.add_local("a//b", ref({6})), InternalError);
  EXPECT_THROW(state.add_local("a/../b", ref({6})), InternalError);
  EXPECT_THROW(state.add_local("w", ref({7})), InternalError);
  state.add_local("w", ref({6}));
  EXPECT_THROW(state.add_local("w", ref({6})), InternalError);
  EXPECT_THROW(state.add_replicated("w", ref({6})), InternalError);
}

TEST(CheckpointState, RejectsShardBlocksOutsideTheirGlobalShape) {
  std::vector<float> w(6);
  CheckpointState state(1);
  auto block = array_ref(std::span<const float>(w), {2, 3});
  EXPECT_THROW(state.add_shard("s", block, {4, 3}, {3, 0}), InternalError);
  EXPECT_THROW(state.add_shard("s", block, {4, 3}, {0}), InternalError);
  EXPECT_THROW(state.add_shard("s", block, {4, 3}, {-1, 0}), InternalError);
  state.add_shard("s", block, {4, 3}, {2, 0});
  EXPECT_THROW(state.add_shard("s", block, {4, 3}, {2, 0}), InternalError);
  EXPECT_THROW(state.add_shard("s", block, {6, 3}, {4, 0}), InternalError);  // another global shape
}

TEST(CheckpointState, OwnCopiesDetachesFromTheJobsBuffers) {
  std::vector<float> w(3, 1.0F);
  CheckpointState state(1);
  state.add_local("w", array_ref(std::span<const float>(w)));
  state.own_copies();
  w[0] = 5.0F;
  const auto* saved = reinterpret_cast<const float*>(state.arrays()[0].data.bytes.data());
  EXPECT_EQ(saved[0], 1.0F);
}

TEST(DType, NamesAndSizesRoundTrip) {
  for (DType d : {DType::kBool, DType::kInt8, DType::kUInt8, DType::kInt16, DType::kInt32, DType::kInt64,
                  DType::kUInt64, DType::kFloat16, DType::kBFloat16, DType::kFloat32, DType::kFloat64}) {
    EXPECT_EQ(dtype_from_name(dtype_name(d)), d);
  }
  EXPECT_EQ(dtype_size(DType::kBFloat16), 2U);
  EXPECT_EQ(dtype_from_name("complex64"), std::nullopt);
  EXPECT_EQ(element_count({}), 1);
  EXPECT_EQ(element_count({3, 0}), 0);
  EXPECT_EQ(shape_string({784, 1000}), "[784, 1000]");
}

}  // namespace
}  // namespace tessera::runtime
