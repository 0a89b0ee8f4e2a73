// The gradient reducer on ranks as threads (local backend): DDP semantics,
// checked against gradients computed without it.

#include "comm/torch/gradient_reducer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>

#include "comm/local/local_world.h"
#include "comm/torch/tensor_buffer.h"
#include "tests/comm/reducer_test_models.h"

namespace tessera::comm::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(GradientReducer, BucketsFollowReverseRegistrationOrderFirstSmallThenCapped) {
  run_local_ranks(1, [](Communicator& comm) {
    Mlp model(seeded(1));  // fc1 784x64 (196 KiB), fc2 64x32 (8 KiB), fc3 32x10
    GradientReducer reducer(*model, comm, {.first_bucket_mb = 0.009, .bucket_mb = 0.1});
    // Reversed: fc3.bias, fc3.weight, fc2.bias, fc2.weight: 9640 bytes close
    // the first bucket (cap 9437 bytes); then fc1.bias, fc1.weight (the
    // 100 KiB cap is reached by fc1.weight itself).
    EXPECT_THAT(reducer.bucket_layout(),
                ElementsAre(ElementsAre("fc3.bias", "fc3.weight", "fc2.bias", "fc2.weight"),
                            ElementsAre("fc1.bias", "fc1.weight")));
    GradientReducer defaults(*model, comm);
    EXPECT_EQ(defaults.bucket_layout().size(), 1U) << "204 KiB fit in the 1 MiB first bucket";
  });
}

TEST(GradientReducer, StartsFromRankZerosParametersAndBuffers) {
  run_local_ranks(3, [](Communicator& comm) {
    NetWithBatchNorm model(seeded(100 + comm.rank()));  // different on purpose
    {
      torch::NoGradGuard no_grad;
      model->bn->running_mean.fill_(static_cast<float>(comm.rank()));
    }
    GradientReducer reducer(*model, comm);
    std::vector<torch::Tensor> state;
    for (const auto& p : model->parameters()) {
      state.push_back(p.detach().clone());
    }
    state.push_back(model->bn->running_mean.clone());
    NetWithBatchNorm reference(seeded(100));
    std::size_t k = 0;
    for (const auto& p : reference->parameters()) {
      EXPECT_TRUE(torch::equal(state[k++], p)) << "parameter " << k;
    }
    EXPECT_TRUE(torch::equal(state.back(), torch::zeros_like(state.back())));
  });
}

TEST(GradientReducer, GradientsAreTheRankOrderMeanBitwiseAndViewsOfTheBuckets) {
  for (int size : {1, 2, 3, 4}) {
    run_local_ranks(size, [](Communicator& comm) {
      Mlp model(seeded(7));
      GradientReducer reducer(*model, comm, {.first_bucket_mb = 0.01, .bucket_mb = 0.05});
      const auto [x, y] = batch(comm.rank(), 16);
      loss(model, x, y).backward();
      expect_mean_of_local_gradients(comm, model, x, y);
      // Grads live in their bucket's flat buffer: grads of one bucket share storage.
      auto named = model->named_parameters();
      for (const auto& bucket : reducer.bucket_layout()) {
        const void* storage = named[bucket[0]].grad().storage().data();
        std::int64_t total = 0;
        for (const std::string& name : bucket) {
          EXPECT_EQ(named[name].grad().storage().data(), storage) << name;
          total += named[name].numel();
        }
        EXPECT_EQ(named[bucket[0]].grad().storage().nbytes(),
                  static_cast<std::size_t>(total) * sizeof(float));
      }
    });
  }
}

TEST(GradientReducer, LaunchesBucketsDuringBackwardNotAfter) {
  run_local_ranks(2, [](Communicator& comm) {
    Mlp model(seeded(11));
    GradientReducer reducer(*model, comm, {.first_bucket_mb = 0.009, .bucket_mb = 0.1});
    ASSERT_EQ(reducer.bucket_layout().size(), 2U);
    const auto [x, y] = batch(comm.rank(), 8);
    // The gradient of fc1's output is computed after fc3's and fc2's weight
    // gradients were accumulated (accumulation runs first) and before fc1's.
    torch::Tensor h1 = model->fc1->forward(x);
    std::size_t launched_midway = 99;
    h1.register_hook([&](const torch::Tensor& g) {
      launched_midway = reducer.launched_buckets();
      return g;
    });
    torch::Tensor out = model->fc3->forward(torch::tanh(model->fc2->forward(torch::tanh(h1))));
    torch::nn::functional::cross_entropy(out, y).backward();
    EXPECT_EQ(launched_midway, 1U) << "bucket 0 (fc3, fc2) runs while fc1's gradient is computed";
    EXPECT_EQ(reducer.launched_buckets(), 0U) << "reset once backward has finished";
  });
}

TEST(GradientReducer, KeepsWorkingAcrossStepsWithZeroGradAndResetGradients) {
  run_local_ranks(2, [](Communicator& comm) {
    Mlp model(seeded(3));
    GradientReducer reducer(*model, comm, {.first_bucket_mb = 0.01});
    torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
    for (int step = 0; step < 3; ++step) {
      sgd.zero_grad();
      if (step == 2) {
        for (auto& p : model->parameters()) {
          p.mutable_grad() = torch::Tensor();  // as set_to_none would
        }
      }
      const auto [x, y] = batch(10 * step + comm.rank(), 8);
      loss(model, x, y).backward();
      expect_mean_of_local_gradients(comm, model, x, y);
      sgd.step();
    }
  });
}

TEST(GradientReducer, NoSyncAccumulatesLocallyThenMatchesOneBigBatch) {
  run_local_ranks(2, [](Communicator& comm) {
    Mlp model(seeded(5));
    GradientReducer reducer(*model, comm, {.first_bucket_mb = 0.01});
    const auto [x1, y1] = batch(comm.rank(), 8);
    const auto [x2, y2] = batch(100 + comm.rank(), 8);
    {
      auto guard = reducer.no_sync();
      sum_loss(model, x1, y1).backward();
    }
    // Local only so far: the ranks' gradients differ.
    torch::Tensor local = model->fc1->weight.grad().clone();
    torch::Tensor both = torch::empty({2, local.numel()});
    comm.all_gather(as_buffer(local), as_buffer(both)).wait();
    EXPECT_FALSE(torch::equal(both[0], both[1]));

    sum_loss(model, x2, y2).backward();  // synchronises the sum of both

    // Reference: one backward over both micro-batches, averaged over ranks.
    Mlp reference(seeded(5));
    sum_loss(reference, torch::cat({x1, x2}), torch::cat({y1, y2})).backward();
    auto ref = reference->parameters();
    auto got = model->parameters();
    for (std::size_t k = 0; k < ref.size(); ++k) {
      torch::Tensor g = ref[k].grad().clone();
      comm.all_reduce(as_buffer(g), {.op = ReduceOp::kAvg}).wait();
      EXPECT_TRUE(torch::allclose(got[k].grad(), g, 1e-5, 1e-6)) << "parameter " << k;
    }
  });
}

TEST(GradientReducer, AParameterWithoutGradientIsNamed) {
  run_local_ranks(2, [](Communicator& comm) {
    Branchy model(seeded(9));
    GradientReducer reducer(*model, comm);
    const auto [x, y] = batch(comm.rank(), 4);
    try {
      model->forward(x, /*use_side=*/false).sum().backward();
      ADD_FAILURE() << "the unused branch must be reported";
    } catch (const std::exception& e) {
      EXPECT_THAT(e.what(), HasSubstr("2 parameters received no gradient in this backward pass: "
                                      "side.weight, side.bias"));
      EXPECT_THAT(e.what(), HasSubstr("find_unused_parameters"));
    }
  });
}

TEST(GradientReducer, FindUnusedParametersAveragesZerosAndDropsGloballyUnusedGrads) {
  run_local_ranks(2, [](Communicator& comm) {
    Branchy model(seeded(9));
    GradientReducer reducer(*model, comm, {.find_unused_parameters = true});
    const auto [x, y] = batch(comm.rank(), 4);
    // Nobody uses the side branch: its grads are dropped and it is named.
    model->forward(x, false).sum().backward();
    EXPECT_THAT(reducer.unused_parameters(), ElementsAre("side.weight", "side.bias"));
    EXPECT_FALSE(model->side->weight.grad().defined());
    EXPECT_TRUE(model->main->weight.grad().defined());

    // Only rank 0 uses it: the average is rank 0's gradient over 2.
    for (auto& p : model->parameters()) {
      if (p.grad().defined()) {
        p.grad().zero_();
      }
    }
    model->forward(x, comm.rank() == 0).sum().backward();
    EXPECT_TRUE(reducer.unused_parameters().empty());
    Branchy reference(seeded(9));
    reference->forward(x, true).sum().backward();
    torch::Tensor expected = reference->side->weight.grad().clone();
    comm.broadcast(as_buffer(expected), {.root = 0}).wait();
    EXPECT_TRUE(torch::equal(model->side->weight.grad(), expected / 2));
  });
}

TEST(GradientReducer, ParameterGroupsReduceOverTheirOwnCommunicators) {
  // Four ranks; "experts" differ per pair {0,2} and {1,3} and are averaged
  // within the pair, the shared layer over all four.
  run_local_ranks(4, [](Communicator& world) {
    std::unique_ptr<Communicator> pair = world.split(world.rank() % 2, world.rank());
    torch::nn::Linear shared(4, 4);
    torch::nn::Linear expert(4, 4);
    {
      torch::NoGradGuard no_grad;
      shared->weight.fill_(0.5F);
      shared->bias.zero_();
      expert->weight.fill_(1.0F + static_cast<float>(world.rank() % 2));
      expert->bias.zero_();
    }
    std::vector<ParameterGroup> groups;
    groups.push_back({{{"shared.weight", shared->weight}, {"shared.bias", shared->bias}}, &world});
    groups.push_back({{{"expert.weight", expert->weight}, {"expert.bias", expert->bias}}, pair.get()});
    GradientReducer reducer(std::move(groups), {}, world);
    torch::Tensor x = torch::full({1, 4}, static_cast<float>(world.rank() + 1));
    expert->forward(shared->forward(x)).sum().backward();
    // d/d(expert.bias) = 1 everywhere; d/d(shared.bias) = column sums of the expert weight.
    EXPECT_TRUE(torch::equal(expert->bias.grad(), torch::ones({4})));
    const float shared_bias = (4 * 1.0F + 4 * 2.0F) / 2;  // mean of both pairs' experts
    EXPECT_TRUE(torch::equal(shared->bias.grad(), torch::full({4}, shared_bias)));
    // expert.weight grad = outer(1, h) with h = shared(x) = 2 * (rank + 1) per row;
    // averaged over the pair {r, r + 2}: 2 * ((r % 2 + 1) + (r % 2 + 3)) / 2.
    const float h = static_cast<float>((world.rank() % 2 + 1) + (world.rank() % 2 + 3));
    EXPECT_TRUE(torch::equal(expert->weight.grad(), torch::full({4, 4}, h)));
  });
}

}  // namespace
}  // namespace tessera::comm::testing
