#pragma once

// MoE configs (torch-free, so `tessera validate` and `tessera jobs` need no
// tensors).
//
//   job: moe
//   data: {train: "data/text/text-train-{000000..000042}.tar", eval: "...", batch_size: 32}
//   model: {d_model: 128, heads: 4, layers: 2, d_ff: 256, moe_every: 1, max_seq: 256}
//   moe: {experts: 8, top_k: 2, ep_size: 2, router: topk_softmax, capacity_factor: 0}
//   optim: {kind: adamw, lr: 1.0e-3}
//   train: {steps: 400}
//
// The MoE layer (MoeLayerConfig) is used on its own by tests and `tessera
// bench moe`; the job adds a byte-level decoder-only LM around it.

#include <string>
#include <vector>

#include "jobs/train/train_config.h"
#include "jobs/train/train_data_config.h"
#include "optim/optimizer_config.h"
#include "runtime/config/fields.h"
#include "runtime/job.h"

namespace tessera::jobs::moe {

// One MoE feed-forward layer: router, experts, expert parallelism.
struct MoeLayerConfig {
  int experts = 8;                      // experts per layer (global count)
  int top_k = 2;                        // experts per token
  std::string router = "topk_softmax";  // topk_softmax (Mixtral) | softmax_topk (GShard/Switch)
  double jitter = 0;                    // multiplicative input jitter eps of the router (training only); 0: off
  double capacity_factor = 0;           // 0: dropless; > 0: capacity ceil(T*k*cf/E) per expert, overflow dropped
  double eval_capacity_factor = 0;      // capacity factor in evaluation; 0: as capacity_factor
  double aux_loss_coeff = 1e-2;         // load-balancing loss coefficient (Switch): E * sum f_i P_i
  double z_loss_coeff = 1e-3;           // router z-loss coefficient (ST-MoE): mean logsumexp(logits)^2
  std::string expert = "swiglu";        // swiglu (Mixtral) | mlp (gelu)
  std::string expert_compute = "loop";  // loop over contiguous token blocks | batched (one padded bmm)
  int ep_size = 1;                      // expert-parallel ranks; divides the world size and `experts`

  void fields(config::Fields& f);
};

// The byte-level decoder-only transformer around the MoE layers.
struct LmConfig {
  int d_model = 128;    // width
  int heads = 4;        // attention heads (divide d_model)
  int layers = 2;       // transformer blocks
  int d_ff = 256;       // hidden width of each expert (and of the dense FFNs)
  int moe_every = 1;    // every n-th block has an MoE FFN (1: all; 2: every other), the others dense
  int max_seq = 256;    // longest sequence (positional embeddings)

  void fields(config::Fields& f);
};

struct MoeReducerConfig {
  double bucket_mb = 25;        // gradient bucket size in MB
  double first_bucket_mb = 1;   // first bucket, small so communication starts early

  void fields(config::Fields& f);
};

struct MoeJobConfig final : runtime::JobConfig {
  MoeJobConfig();

  train::TrainDataConfig data;  // samples are byte windows (`tessera data convert text`)
  LmConfig model;
  MoeLayerConfig moe;
  optim::OptimizerConfig optim;
  train::TrainConfig train;
  MoeReducerConfig ddp;
  std::int64_t eval_batch = 32;  // sequences per evaluation batch per rank

  void fields(config::Fields& f) override;
  // Run length, logging and the expert-parallel size may change on resume
  // (experts are saved per global expert id and reshard).
  std::vector<std::string> resume_may_change() const override;
};

}  // namespace tessera::jobs::moe
