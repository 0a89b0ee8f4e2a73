#pragma once

// Small models and batches for gradient reducer tests. Everything random
// comes from explicit generators (ranks run as threads, so the global torch
// RNG would race).

#include <gtest/gtest.h>

#include <torch/nn/functional/loss.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <ATen/CPUGeneratorImpl.h>

#include "comm/communicator.h"
#include "comm/torch/tensor_buffer.h"

namespace tessera::comm::testing {

inline at::Generator generator(std::uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

// Fills every parameter from `seed`.
inline void initialise(torch::nn::Module& module, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  at::Generator gen = generator(seed);
  for (auto& p : module.parameters()) {
    p.copy_(at::randn(p.sizes(), gen) * 0.1);
  }
}

struct seeded {
  explicit seeded(std::uint64_t s) : seed(s) {}
  std::uint64_t seed;
};

struct MlpImpl : torch::nn::Module {
  explicit MlpImpl(seeded s) {
    torch::set_num_threads(1);
    fc1 = register_module("fc1", torch::nn::Linear(784, 64));
    fc2 = register_module("fc2", torch::nn::Linear(64, 32));
    fc3 = register_module("fc3", torch::nn::Linear(32, 10));
    initialise(*this, s.seed);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return fc3->forward(torch::tanh(fc2->forward(torch::tanh(fc1->forward(x)))));
  }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
TORCH_MODULE(Mlp);

struct NetWithBatchNormImpl : torch::nn::Module {
  explicit NetWithBatchNormImpl(seeded s) {
    fc = register_module("fc", torch::nn::Linear(8, 8));
    bn = register_module("bn", torch::nn::BatchNorm1d(8));
    initialise(*this, s.seed);
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(NetWithBatchNorm);

// Two heads; `side` is used only when asked.
struct BranchyImpl : torch::nn::Module {
  explicit BranchyImpl(seeded s) {
    main = register_module("main", torch::nn::Linear(784, 10));
    side = register_module("side", torch::nn::Linear(784, 10));
    initialise(*this, s.seed);
  }
  torch::Tensor forward(const torch::Tensor& x, bool use_side) {
    torch::Tensor out = main->forward(x);
    return use_side ? out + side->forward(x) : out;
  }
  torch::nn::Linear main{nullptr}, side{nullptr};
};
TORCH_MODULE(Branchy);

// A batch of `n` Fashion-MNIST-shaped inputs and labels from `seed`.
inline std::pair<torch::Tensor, torch::Tensor> batch(std::uint64_t seed, std::int64_t n) {
  at::Generator gen = generator(1000 + seed);
  return {at::randn({n, 784}, gen), at::randint(0, 10, {n}, gen)};
}

inline torch::Tensor loss(Mlp& model, const torch::Tensor& x, const torch::Tensor& y) {
  return torch::nn::functional::cross_entropy(model->forward(x), y);
}

inline torch::Tensor sum_loss(Mlp& model, const torch::Tensor& x, const torch::Tensor& y) {
  return torch::nn::functional::cross_entropy(
      model->forward(x), y,
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
}

// The reducer's gradients must equal the mean over ranks (summed in rank
// order, then divided) of the gradients a copy of the model computes on each
// rank's batch without any reducer: bitwise when `bitwise` (a backend that
// reduces in rank order, or two ranks), else to float rounding.
inline void expect_mean_of_local_gradients(Communicator& comm, Mlp& model, const torch::Tensor& x,
                                           const torch::Tensor& y, bool bitwise = true) {
  Mlp reference(seeded(0));
  {
    torch::NoGradGuard no_grad;
    auto from = model->parameters();
    auto to = reference->parameters();
    for (std::size_t k = 0; k < from.size(); ++k) {
      to[k].copy_(from[k]);
    }
  }
  loss(reference, x, y).backward();
  auto got = model->parameters();
  auto local = reference->parameters();
  const int n = comm.size();
  for (std::size_t k = 0; k < got.size(); ++k) {
    torch::Tensor mine = local[k].grad().reshape(-1).contiguous();
    torch::Tensor all = torch::empty({n, mine.numel()});
    comm.all_gather(as_buffer(mine), as_buffer(all)).wait();
    torch::Tensor mean = all[0].clone();
    for (int r = 1; r < n; ++r) {
      mean.add_(all[r]);
    }
    mean.div_(n);
    if (bitwise) {
      EXPECT_TRUE(torch::equal(got[k].grad().reshape(-1), mean))
          << "parameter " << k << " differs from the rank-order mean";
    } else {
      EXPECT_TRUE(torch::allclose(got[k].grad().reshape(-1), mean, 1e-6, 1e-7))
          << "parameter " << k << " differs from the mean";
    }
  }
}

}  // namespace tessera::comm::testing
