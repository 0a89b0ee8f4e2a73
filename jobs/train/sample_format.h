#pragma once

// SampleFormat: how stored samples become a Batch.
//
// Inputs are converted to float32 and multiplied by `scale` (1/255 for image
// bytes); the target is the label (classifiers) or the converted input itself,
// flattened to [B, features] like the dense reconstruction (autoencoders).

#include <ATen/core/Tensor.h>

#include "jobs/train/batch.h"

namespace tessera::jobs::train {

struct SampleFormat {
  enum class Target { kLabel, kInput };
  Target target = Target::kLabel;
  double scale = 1.0;

  // A batch from stored `inputs` [B, ...] and `labels` [B] (undefined when
  // target is kInput).
  Batch make_batch(const at::Tensor& inputs, const at::Tensor& labels) const;
};

}  // namespace tessera::jobs::train
