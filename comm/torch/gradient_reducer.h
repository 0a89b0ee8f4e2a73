#pragma once

// GradientReducer: data-parallel gradient averaging with the semantics of
// PyTorch DDP, over any Communicator.
//
//   comm::GradientReducer reducer(model, world);      // broadcasts rank 0's state
//   for (...) {
//     optimizer.zero_grad();
//     loss(model(x), y).backward();                     // grads are averaged on return
//     optimizer.step();
//   }
//
// Construction (collective over every communicator involved):
//   * Parameters and buffers are broadcast from rank 0 of their
//     communicator, so every replica starts identical.
//   * Parameters that require grad are assigned to buckets in reverse
//     registration order (gradients of the last layers are ready first),
//     one dtype per bucket: the first bucket up to first_bucket_mb (1 MiB),
//     the others up to bucket_mb (25 MiB); a bucket closes once it reaches its
//     cap. bucket_layout() shows the result.
//   * Every parameter's .grad becomes a view into its bucket's flat buffer,
//     so autograd accumulates straight into the buffer that is all-reduced
//     (no copy, no second gradient-sized buffer). optimizer.zero_grad() keeps
//     the views; if .grad is replaced or reset, the next backward copies it
//     back into the bucket and restores the view.
//
// Backward:
//   * A hook on each parameter's gradient accumulator marks it ready. When
//     every parameter of a bucket is ready, the bucket's asynchronous
//     all-reduce (average) is launched, so communication overlaps the rest
//     of the backward pass. Buckets launch in index order on every rank (a
//     bucket that fills early waits for the ones before it), which keeps the
//     collective order identical across ranks.
//   * At the end of backward (an autograd final callback) the reducer waits
//     for every bucket: when backward() returns, .grad holds the average over
//     the communicator's ranks. An error in a bucket (timeout, a peer that
//     failed) is rethrown from backward().
//   * A parameter that got no gradient is an error naming it, unless
//     find_unused_parameters is set: then its slot is reduced as zeros, and
//     after an extra all-reduce of a "used" flag per parameter, parameters
//     no rank used get .grad undefined (as DDP), named by unused_parameters().
//
// no_sync(): while the returned guard lives, backward passes only accumulate
// locally; the first backward after it averages the accumulated gradients
// (gradient accumulation over micro-batches, one all-reduce per bucket).
//
// Parameter groups: each group is reduced over its own communicator, e.g.
// an MoE model's expert parameters over the expert-data-parallel group and
// the rest over the world. Groups keep separate buckets.
//
// Reduction order: backends that reduce in a fixed order (local) give
// results bitwise equal to averaging the per-rank gradients in rank order.
//
// Threads: hooks run on the autograd thread; one backward at a time. The
// reducer must outlive every backward pass that uses its parameters, and the
// communicators must outlive the reducer.

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "comm/communicator.h"

namespace tessera::comm {

struct ReducerOptions {
  double first_bucket_mb = 1.0;          // cap of the first bucket, MiB
  double bucket_mb = 25.0;               // cap of every later bucket, MiB
  bool find_unused_parameters = false;   // allow parameters without a gradient
  bool broadcast_from_rank0 = true;      // at construction, parameters and buffers
};

struct NamedTensor {
  std::string name;
  torch::Tensor tensor;
};

// Parameters reduced over one communicator.
struct ParameterGroup {
  std::vector<NamedTensor> parameters;   // in registration order
  Communicator* comm = nullptr;          // averages over this; must outlive the reducer
};

class GradientReducer {
 public:
  // Every parameter of `module` that requires grad, reduced over `comm`;
  // the module's buffers are broadcast over `comm` at construction.
  GradientReducer(torch::nn::Module& module, Communicator& comm, ReducerOptions options = {});
  // Several groups; `buffers` are broadcast over `buffer_comm` at construction.
  GradientReducer(std::vector<ParameterGroup> groups,
                  std::vector<NamedTensor> buffers,
                  Communicator& buffer_comm,
                  ReducerOptions options = {});
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  class NoSync {
   public:
    explicit NoSync(GradientReducer& reducer);
    ~NoSync();
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;

   private:
    GradientReducer& reducer_;
  };
  // While the guard lives, backward passes accumulate without communicating.
  [[nodiscard]] NoSync no_sync() { return NoSync(*this); }

  // Parameter names per bucket, in launch order (bucket 0 first).
  std::vector<std::vector<std::string>> bucket_layout() const;
  // With find_unused_parameters: the parameters no rank used in the last
  // synchronised backward.
  std::vector<std::string> unused_parameters() const;
  // Buckets whose all-reduce has been launched in the backward pass under
  // way (diagnostics: shows communication starting before backward ends).
  std::size_t launched_buckets() const;
  // Seconds the last synchronised backward spent at its end waiting for the
  // all-reduces: the communication the backward pass did not hide.
  double exposed_seconds() const;

 private:
  struct Parameter;
  struct Bucket;

  void build(std::vector<ParameterGroup> groups, const std::vector<NamedTensor>& buffers,
             Communicator& buffer_comm);
  void assign_buckets(std::size_t group, Communicator& comm, const std::vector<std::size_t>& members);
  void broadcast_state(const std::vector<NamedTensor>& buffers, Communicator& buffer_comm);
  void install_hooks();
  void on_gradient(std::size_t index);
  void bind_gradient(Parameter& p);
  void launch_ready_buckets();
  void finalize();
  void reset_iteration();

  ReducerOptions options_;
  std::vector<Parameter> params_;
  std::vector<Bucket> buckets_;
  std::vector<Communicator*> group_comms_;
  mutable std::mutex mu_;
  bool syncing_ = true;            // false inside no_sync()
  bool finalize_queued_ = false;   // this backward's final callback is queued
  std::size_t next_launch_ = 0;    // first bucket not yet launched
  std::vector<std::string> unused_;
  double exposed_seconds_ = 0;
};

}  // namespace tessera::comm
