#pragma once

// MoeJob (`job: moe`): trains the byte-level MoE transformer (moe_lm.h) with
// expert parallelism from YAML.
//
// World = data-parallel x expert-parallel. With W ranks and moe.ep_size P
// (dividing W and the expert count), ranks [g*P, (g+1)*P) form expert-parallel
// group g (comm.split(rank / P)): they share the experts of each MoE layer,
// E/P each, and exchange tokens with all_to_allv. Ranks with equal rank % P
// hold the same experts and form the expert-data-parallel group
// (comm.split(rank % P)): expert gradients are averaged there, everything
// else over the world (one GradientReducer with two parameter groups).
//
// Data: byte windows from `tessera data convert text` held in memory in
// DistributedSampler order (the global batch is the same on any world size,
// so resuming on another world size continues the same data). At the end the
// eval split's next-byte loss is reported beside the training split's
// unigram entropy (bits per byte).

#include "jobs/moe/moe_config.h"
#include "runtime/job.h"
#include "runtime/job_registry.h"

namespace tessera::jobs::moe {

class MoeJob final : public runtime::Job {
 public:
  explicit MoeJob(const MoeJobConfig& config) : config_(config) {}
  void run(runtime::JobContext& context) override;

 private:
  MoeJobConfig config_;
};

// Adds the `moe` job kind.
void register_moe(runtime::JobRegistry& registry);

}  // namespace tessera::jobs::moe
