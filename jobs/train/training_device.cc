#include "jobs/train/training_device.h"

#include <fmt/format.h>
#include <torch/cuda.h>

#include "runtime/error.h"

namespace tessera::jobs::train {

c10::Device training_device(const runtime::JobContext& context) {
  if (context.spec.runtime.device != "cuda") {
    return c10::kCPU;
  }
  if (!torch::cuda::is_available()) {
    throw ConfigError("runtime.device = cuda (this LibTorch has no CUDA, or no GPU is visible; "
                      "use runtime.device: cpu or a CUDA build of LibTorch)");
  }
  const auto gpus = static_cast<int>(torch::cuda::device_count());
  if (context.launch.local_rank >= gpus) {
    throw ConfigError(fmt::format("runtime.device = cuda (local rank {} but only {} GPUs on {})",
                                  context.launch.local_rank, gpus, context.launch.host));
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(context.launch.local_rank));
}

}  // namespace tessera::jobs::train
