#include "runtime/checkpoint/torch_arrays.h"

#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/zeros.h>

#include <gtest/gtest.h>

#include "runtime/checkpoint/checkpoint_store.h"
#include "tests/testing/temp_dir.h"

namespace tessera::runtime {
namespace {

TEST(TorchArrays, TensorsOfEveryCommonTypeRoundTripBitwise) {
  testing::TempDir tmp;
  SoloCoordinator coordinator;
  at::manual_seed(5);
  at::Tensor weights = at::randn({4, 3});
  at::Tensor half = at::randn({5}).to(at::kBFloat16);
  at::Tensor strided = at::arange(12, at::kLong).reshape({3, 4}).t();  // not contiguous
  at::Tensor experts = at::randn({6, 2});
  {
    CheckpointStore store(tmp / "ckpt", coordinator, {}, {"toy", "t", "job: toy\n", {}});
    CheckpointState state(1);
    state.add_replicated("w", tensor_array(weights));
    state.add_local("h", tensor_array(half));
    state.add_local("s", tensor_array(strided));
    state.add_shard("experts", tensor_array(experts.slice(0, 0, 3)), {6, 2}, {0, 0});
    state.add_shard("experts", tensor_array(experts.slice(0, 3, 6)), {6, 2}, {3, 0});
    store.save(std::move(state));
  }
  Checkpoint ckpt(tmp / "ckpt/step-00000001", 0, 1);
  at::Tensor w = at::zeros({4, 3});
  read_tensor(ckpt, "w", w);
  EXPECT_TRUE(at::equal(w, weights));
  at::Tensor h = at::zeros({5}, at::kBFloat16);
  read_tensor(ckpt, "h", h);
  EXPECT_TRUE(at::equal(h, half));
  at::Tensor s = at::zeros({4, 3}, at::kLong);
  read_tensor(ckpt, "s", s);
  EXPECT_TRUE(at::equal(s, strided));
  at::Tensor middle = at::zeros({2, 2});
  read_tensor_region(ckpt, "experts", middle, {2, 0});  // across both blocks
  EXPECT_TRUE(at::equal(middle, experts.slice(0, 2, 4)));
  at::Tensor wrong = at::zeros({3, 4});
  EXPECT_THROW(read_tensor(ckpt, "w", wrong), CheckpointError);
}

}  // namespace
}  // namespace tessera::runtime
