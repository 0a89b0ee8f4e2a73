#pragma once

// SmallCnn: a small convolutional classifier for 28x28-like images.
//
//   [conv k×k (pad k/2) -> relu -> 2×2 max pool] per entry of `channels`,
//   flatten, then a DenseStack head (hidden layers relu, last linear: logits).
//
// Inputs are reshaped to input_shape (C, H, W), so flat 784-vectors work.

#include <cstdint>
#include <vector>

#include <torch/nn/modules/conv.h>

#include "jobs/train/dense_stack.h"
#include "jobs/train/model.h"

namespace tessera::jobs::train {

struct SmallCnnOptions {
  std::vector<std::int64_t> input_shape{1, 28, 28};  // C, H, W
  std::vector<std::int64_t> channels{32, 64};        // output channels per conv block
  std::int64_t kernel = 5;                           // odd kernel size
  std::vector<std::int64_t> head{128, 10};           // dense head widths after flattening
  Activation activation = Activation::kRelu;         // hidden activation
};

class SmallCnn : public Model {
 public:
  explicit SmallCnn(SmallCnnOptions options);

  torch::Tensor forward(const torch::Tensor& input) override;
  std::string describe() const override;

 private:
  SmallCnnOptions options_;
  std::vector<torch::nn::Conv2d> convs_;
  std::shared_ptr<DenseStack> head_;
};

}  // namespace tessera::jobs::train
