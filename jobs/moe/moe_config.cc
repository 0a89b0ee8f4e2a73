#include "jobs/moe/moe_config.h"

namespace tessera::jobs::moe {

void MoeLayerConfig::fields(config::Fields& f) {
  f("experts", experts, "experts per MoE layer (global count)", config::positive<int>());
  f("top_k", top_k, "experts each token is sent to", config::positive<int>());
  f("router", router, "topk_softmax: softmax over the k selected logits (Mixtral); "
    "softmax_topk: softmax over all experts, then top-k (GShard/Switch)",
    config::one_of({"topk_softmax", "softmax_topk"}));
  f("jitter", jitter, "multiplicative jitter eps on the router input while training (0: off)",
    config::in_range(0.0, 1.0));
  f("capacity_factor", capacity_factor,
    "0: dropless; > 0: capacity ceil(tokens*k*cf/experts) per expert, overflow dropped by lowest "
    "router probability", config::at_least(0.0));
  f("eval_capacity_factor", eval_capacity_factor, "capacity factor in evaluation (0: capacity_factor)",
    config::at_least(0.0));
  f("aux_loss_coeff", aux_loss_coeff, "load-balancing loss coefficient (E * sum f_i P_i)",
    config::at_least(0.0));
  f("z_loss_coeff", z_loss_coeff, "router z-loss coefficient (mean logsumexp(logits)^2)", config::at_least(0.0));
  f("expert", expert, "expert FFN: swiglu or mlp (gelu)", config::one_of({"swiglu", "mlp"}));
  f("expert_compute", expert_compute, "local experts: loop over token blocks, or one batched matmul",
    config::one_of({"loop", "batched"}));
  f("ep_size", ep_size, "expert-parallel ranks (divides the world size and experts)", config::positive<int>());
}

void LmConfig::fields(config::Fields& f) {
  f("d_model", d_model, "model width", config::positive<int>());
  f("heads", heads, "attention heads (divide d_model)", config::positive<int>());
  f("layers", layers, "transformer blocks", config::positive<int>());
  f("d_ff", d_ff, "hidden width of each expert and dense FFN", config::positive<int>());
  f("moe_every", moe_every, "every n-th block has an MoE FFN (1: all, 2: every other)", config::positive<int>());
  f("max_seq", max_seq, "longest input sequence in bytes", config::positive<int>());
}

void MoeReducerConfig::fields(config::Fields& f) {
  f("bucket_mb", bucket_mb, "gradient bucket size in MB", config::positive<double>());
  f("first_bucket_mb", first_bucket_mb, "size of the first bucket in MB", config::positive<double>());
}

MoeJobConfig::MoeJobConfig() {
  data.loader.outputs = {{"tokens", {"npy"}}};
  data.input = "tokens";
  data.target = "input";
  data.scale = 1.0;
  data.loader.batch_size = 32;
  train.loss = "softmax_ce";
  train.eval_every_epochs = 0;
  optim.kind = "adamw";
  optim.lr = 1e-3;
}

void MoeJobConfig::fields(config::Fields& f) {
  f("data", data, "byte windows from `tessera data convert text` (batch_size is the global batch)");
  f("model", model, "the byte-level transformer");
  f("moe", moe, "the MoE layers and expert parallelism");
  f("optim", optim, "the optimizer");
  f("train", train, "the training loop (the loss is next-byte cross-entropy)");
  f("ddp", ddp, "gradient all-reduce (experts over the expert-data-parallel group, the rest over the world)");
  f("eval_batch", eval_batch, "sequences per evaluation batch per rank", config::positive<std::int64_t>());
}

std::vector<std::string> MoeJobConfig::resume_may_change() const {
  return {"train.epochs", "train.steps", "train.log_every", "data.workers", "data.prefetch",
          "data.prefetch_bytes", "data.on_error", "ddp", "eval_batch", "moe.ep_size", "moe.expert_compute"};
}

}  // namespace tessera::jobs::moe
