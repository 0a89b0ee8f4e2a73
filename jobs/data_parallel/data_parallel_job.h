#pragma once

// DataParallelJob: DDP-style training from YAML.
//
// Every rank builds the same model from the seed; the gradient reducer
// broadcasts rank 0's parameters and buffers, then averages gradients with
// bucketed all-reduces that overlap the backward pass. Each rank trains on
// its share (batch_size / world) of every global batch, so the optimizer
// steps equal those of one rank on the whole batch. runtime.threads_per_rank
// sets LibTorch's (and OpenBLAS's) threads; runtime.device: cuda puts each
// rank on GPU local_rank.

#include "jobs/data_parallel/data_parallel_config.h"
#include "runtime/job.h"
#include "runtime/job_registry.h"

namespace tessera::jobs::data_parallel {

class DataParallelJob final : public runtime::Job {
 public:
  explicit DataParallelJob(const DataParallelConfig& config) : config_(config) {}
  void run(runtime::JobContext& context) override;

 private:
  DataParallelConfig config_;
};

// Adds the `data_parallel` job kind.
void register_data_parallel(runtime::JobRegistry& registry);

}  // namespace tessera::jobs::data_parallel
