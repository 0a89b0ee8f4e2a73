#pragma once

// Batch: model inputs and the targets the loss compares the outputs with
// (labels for a classifier, the inputs themselves for an autoencoder).

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace tessera::jobs::train {

struct Batch {
  at::Tensor input;   // [B, ...] float
  at::Tensor target;  // [B, ...]: int64 labels or float targets

  std::int64_t size() const { return input.defined() ? input.size(0) : 0; }
  // Rows [start, start + count) of both tensors (views, no copy).
  Batch slice(std::int64_t start, std::int64_t count) const {
    return Batch{input.narrow(0, start, count), target.narrow(0, start, count)};
  }
};

}  // namespace tessera::jobs::train
