#pragma once

// The device a training rank computes on: the CPU, or with
// `runtime.device: cuda` the GPU of its local rank.

#include <c10/core/Device.h>

#include "runtime/job.h"

namespace tessera::jobs::train {

// ConfigError when cuda is asked for and LibTorch has no CUDA, no GPU is
// visible, or the node has fewer GPUs than local ranks.
c10::Device training_device(const runtime::JobContext& context);

}  // namespace tessera::jobs::train
