#pragma once

// LocoPropStep: one outer step of LocoProp (or of its backprop baseline) on a
// DenseStack, as a StepRunner for the shared Trainer.
//
// Per global batch: one forward pass keeping every layer's input x_{m-1} and
// pre-activation a_m, the global loss L, one backward pass for g_m = dL/da_m
// (dL over the GLOBAL batch: a rank's gradient of its local mean is divided by
// the world size), the targets of matching_loss.h, then K inner steps per
// layer from the current weights with x_{m-1} frozen:
//
//   z = x W^T + b;  r = residual(z, target);  grad_W = r^T x;  grad_b = sum_rows r
//   (+ (W - W_t) / eta with the optional proximal term), optimizer step at
//   lr_k = lr * max(1 - k/K, min_lr_fraction), k = 0..K-1
//
// with one optimizer per layer (optim: section, rmsprop_tf1 in the reference
// setup) whose state persists across outer steps. Gradients are sums over
// the batch, not means.
//
// Parallelism:
//   layers within a rank   the layers' inner steps run on a LayerPool.
//   parallel: data         each rank holds its share of the batch; at every
//                          inner step the layers' gradients (one flat buffer,
//                          split into buckets of whole layers) are summed over
//                          the ranks, each bucket's all-reduce issued as soon as
//                          its layers are done, so it overlaps the rest. Equals
//                          one rank on the global batch.
//   parallel: layers       layers are assigned to ranks by cost (in x out,
//                          greedy); after the forward/backward each owner
//                          receives its layers' inputs and targets for the
//                          whole global batch, runs the K inner steps alone,
//                          and broadcasts the new weights. Same result,
//                          different traffic: inputs+targets once and weights
//                          once per step, instead of K gradient all-reduces.
//   mode: bp               plain backprop with the same per-layer optimizers
//                          (gradients averaged over the ranks, one step).
//
// Checkpoints hold the parameters and every layer's optimizer state as
// replicated arrays (in layer-parallel mode the owners broadcast their layers'
// state first), so a resume continues bit for bit, on any world size for
// parallel: data.

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>

#include "comm/communicator.h"
#include "jobs/locoprop/layer_pool.h"
#include "jobs/locoprop/matching_loss.h"
#include "jobs/train/dense_stack.h"
#include "jobs/train/loss.h"
#include "jobs/train/step_runner.h"
#include "optim/optimizer_config.h"

namespace tessera::jobs::locoprop {

enum class Parallel { kData, kLayers };

struct LocoPropOptions {
  Mode mode = Mode::kLocoPropM;
  train::LossKind loss = train::LossKind::kSigmoidCrossEntropy;
  double activation_lr = 10;     // gamma
  int local_iters = 10;          // K
  double min_lr_fraction = 0.25; // floor of the inner schedule max(1 - k/K, floor)
  double prox_eta = 0;           // proximal term |W - W_t|^2 / (2 eta); 0: off
  Parallel parallel = Parallel::kData;
  int layer_threads = 1;         // LayerPool threads (0: on the calling thread)
  double bucket_mb = 25;         // data-parallel all-reduce buckets (whole layers)
};

// Layer m of cost costs[m] to a rank of `ranks`: largest first, each to the
// least-loaded rank (lowest rank on ties). Deterministic.
std::vector<int> assign_layers(const std::vector<double>& costs, int ranks);

class LocoPropStep final : public train::StepRunner {
 public:
  // Keeps references to `model` and `world`, which outlive the step; `world`
  // may be null (one process, no communication). Each layer gets its own
  // optimizer from `inner`.
  LocoPropStep(train::DenseStack& model, const optim::OptimizerConfig& inner, comm::Communicator* world,
               LocoPropOptions options);
  ~LocoPropStep() override;

  train::StepResult step(std::span<const train::Batch> micro_batches, double lr) override;
  // Collective in layer-parallel mode (owners broadcast optimizer state).
  void save(runtime::CheckpointState& state) override;
  void load(const runtime::Checkpoint& checkpoint) override;

  // The rank that solves each layer (parallel: layers; all 0 otherwise).
  const std::vector<int>& owners() const { return owners_; }

 private:
  struct Layer;

  int rank() const;
  int world_size() const;
  void set_targets(const train::DenseStack::Trace& trace, const std::vector<at::Tensor>& grads);
  double backprop(const at::Tensor& loss, double lr);
  double solve_data_parallel(double lr);
  double solve_layer_parallel(double lr);
  double exchange_inputs();
  double broadcast_weights();
  void local_gradient(Layer& layer);
  void apply(Layer& layer, double lr);
  double all_reduce_gradients(const std::vector<std::future<void>*>& pending);
  double inner_lr(double lr, int k) const;

  train::DenseStack& model_;
  comm::Communicator* world_;
  LocoPropOptions options_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<int> owners_;
  at::Tensor flat_grad_;                                       // every layer's [grad_W | grad_b]
  std::vector<std::pair<std::size_t, std::size_t>> buckets_;   // [first layer, last layer + 1)
  LayerPool pool_;
};

}  // namespace tessera::jobs::locoprop
