#pragma once

// DenseStack: fully connected layers, each x -> f(x W^T + b).
//
// The MLP and the deep autoencoder are DenseStacks. forward_trace() keeps
// what a local-loss method needs per layer: its input x_{m-1}, its
// pre-activation a_m and its output y_m = f_m(a_m) (LocoProp's notation).

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/modules/linear.h>

#include "jobs/train/activation.h"
#include "jobs/train/model.h"

namespace tessera::jobs::train {

class DenseStack : public Model {
 public:
  // Layer m maps widths[m] -> widths[m + 1] and applies activations[m];
  // widths.size() == activations.size() + 1 >= 2. `name` prefixes describe().
  DenseStack(std::vector<std::int64_t> widths, std::vector<Activation> activations,
             std::string name = "dense");

  torch::Tensor forward(const torch::Tensor& input) override;
  std::string describe() const override;

  struct Trace {
    std::vector<torch::Tensor> inputs;           // x_{m-1}: inputs[0] is the batch
    std::vector<torch::Tensor> pre_activations;  // a_m = x_{m-1} W_m^T + b_m
    std::vector<torch::Tensor> outputs;          // y_m = f_m(a_m); outputs.back() is forward()'s
  };
  // The forward pass with every layer's input, pre-activation and output
  // (part of the autograd graph, so dL/da_m can be taken of them).
  Trace forward_trace(const torch::Tensor& input);

  std::size_t depth() const { return layers_.size(); }
  torch::nn::Linear& layer(std::size_t m) { return layers_.at(m); }
  Activation activation(std::size_t m) const { return activations_.at(m); }
  const std::vector<std::int64_t>& widths() const { return widths_; }

 private:
  std::vector<std::int64_t> widths_;
  std::vector<Activation> activations_;
  std::vector<torch::nn::Linear> layers_;
  std::string name_;
};

}  // namespace tessera::jobs::train
