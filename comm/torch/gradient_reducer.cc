#include "comm/torch/gradient_reducer.h"

#include <chrono>

#include <torch/csrc/autograd/engine.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "comm/torch/tensor_buffer.h"

namespace tessera::comm {

struct GradientReducer::Parameter {
  std::string name;
  torch::Tensor tensor;
  std::size_t group = 0;
  std::size_t bucket = 0;
  std::int64_t offset = 0;        // elements into the bucket
  torch::Tensor grad_view;        // shares the bucket's storage (not an autograd view)
  std::shared_ptr<torch::autograd::Node> accumulator;  // kept alive: it holds our hook
  std::uintptr_t hook_key = 0;
  bool ready = false;             // has its gradient in this synchronised backward
  bool used = false;              // got a gradient since the last synchronisation
};

struct GradientReducer::Bucket {
  std::size_t group = 0;
  Communicator* comm = nullptr;
  torch::Tensor flat;
  std::vector<std::size_t> params;
  std::size_t pending = 0;        // parameters not yet ready
  bool launched = false;
  Work work;
};

namespace {

std::int64_t cap_bytes(double mb) { return static_cast<std::int64_t>(mb * 1024.0 * 1024.0); }

// A byte view of a contiguous tensor, whatever its dtype (buffers may be bool).
Buffer raw_bytes(const torch::Tensor& t) {
  return Buffer{t.data_ptr(), static_cast<std::size_t>(t.nbytes()), DType::kU8,
                device_of(t.device())};
}

}  // namespace

GradientReducer::GradientReducer(torch::nn::Module& module, Communicator& comm,
                                 ReducerOptions options)
    : options_(options) {
  ParameterGroup group{.comm = &comm};
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    group.parameters.push_back({item.key(), item.value()});
  }
  std::vector<NamedTensor> buffers;
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    buffers.push_back({item.key(), item.value()});
  }
  std::vector<ParameterGroup> groups;
  groups.push_back(std::move(group));
  build(std::move(groups), buffers, comm);
}

GradientReducer::GradientReducer(std::vector<ParameterGroup> groups,
                                 std::vector<NamedTensor> buffers, Communicator& buffer_comm,
                                 ReducerOptions options)
    : options_(options) {
  build(std::move(groups), buffers, buffer_comm);
}

GradientReducer::~GradientReducer() {
  for (Parameter& p : params_) {
    if (p.accumulator) {
      p.accumulator->del_post_hook(p.hook_key);
    }
  }
  // A bucket whose all-reduce is still running (backward failed half way)
  // must not be freed under the communicator: keep its memory alive.
  for (Bucket& b : buckets_) {
    if (b.launched && !b.work.is_completed()) {
      spdlog::warn("gradient reducer destroyed while a bucket all-reduce is still running; "
                   "leaking its {} bytes",
                   b.flat.nbytes());
      new torch::Tensor(b.flat);  // NOLINT: deliberate leak, see above
    }
  }
}

void GradientReducer::build(std::vector<ParameterGroup> groups,
                            const std::vector<NamedTensor>& buffers, Communicator& buffer_comm) {
  if (options_.first_bucket_mb <= 0 || options_.bucket_mb <= 0) {
    throw Error(fmt::format("gradient reducer: bucket caps must be > 0 MiB (first_bucket_mb {}, "
                            "bucket_mb {})",
                            options_.first_bucket_mb, options_.bucket_mb));
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].comm == nullptr) {
      throw Error(fmt::format("gradient reducer: parameter group {} has no communicator", g));
    }
    group_comms_.push_back(groups[g].comm);
    std::vector<std::size_t> members;
    for (NamedTensor& named : groups[g].parameters) {
      if (!named.tensor.requires_grad()) {
        continue;
      }
      members.push_back(params_.size());
      params_.push_back(Parameter{.name = std::move(named.name),
                                  .tensor = std::move(named.tensor),
                                  .group = g});
    }
    assign_buckets(g, *groups[g].comm, members);
  }
  broadcast_state(buffers, buffer_comm);
  install_hooks();
  reset_iteration();
}

// Note [Bucket order]: DDP's assignment. Walk the parameters from last to
// first (their gradients become ready in about that order), keep one open
// bucket per dtype/device, close it once it holds at least its cap. The
// first bucket of each kind is small so the first all-reduce starts early.
void GradientReducer::assign_buckets(std::size_t group, Communicator& comm,
                                     const std::vector<std::size_t>& members) {
  struct Open {
    std::vector<std::size_t> params;
    std::int64_t bytes = 0;
    int closed = 0;  // buckets of this kind already closed
  };
  std::map<std::string, Open> open;
  std::vector<std::vector<std::size_t>> closed;
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    const torch::Tensor& t = params_[*it].tensor;
    const std::string kind = fmt::format("{}/{}", c10::toString(t.scalar_type()), t.device().str());
    Open& bucket = open[kind];
    bucket.params.push_back(*it);
    bucket.bytes += static_cast<std::int64_t>(t.nbytes());
    const double cap_mb = bucket.closed == 0 ? options_.first_bucket_mb : options_.bucket_mb;
    if (bucket.bytes >= cap_bytes(cap_mb)) {
      closed.push_back(std::move(bucket.params));
      bucket.params.clear();
      bucket.bytes = 0;
      ++bucket.closed;
    }
  }
  for (auto& [kind, bucket] : open) {
    if (!bucket.params.empty()) {
      closed.push_back(std::move(bucket.params));
    }
  }
  // Launch order: by the position of each bucket's first parameter in the
  // reversed list, i.e. the bucket holding the last parameters goes first.
  std::sort(closed.begin(), closed.end(), [](const auto& a, const auto& b) { return a[0] > b[0]; });
  for (std::vector<std::size_t>& members_of_bucket : closed) {
    Bucket bucket{.group = group, .comm = &comm};
    std::int64_t total = 0;
    for (std::size_t index : members_of_bucket) {
      params_[index].bucket = buckets_.size();
      params_[index].offset = total;
      total += params_[index].tensor.numel();
    }
    const torch::Tensor& first = params_[members_of_bucket[0]].tensor;
    bucket.flat = torch::zeros({total}, first.options().requires_grad(false));
    bucket.params = std::move(members_of_bucket);
    buckets_.push_back(std::move(bucket));
  }
}

void GradientReducer::broadcast_state(const std::vector<NamedTensor>& buffers,
                                      Communicator& buffer_comm) {
  torch::NoGradGuard no_grad;
  if (options_.broadcast_from_rank0) {
    // Parameters travel packed in their bucket (one broadcast per bucket).
    for (Bucket& b : buckets_) {
      for (std::size_t index : b.params) {
        Parameter& p = params_[index];
        b.flat.narrow(0, p.offset, p.tensor.numel()).copy_(p.tensor.reshape(-1));
      }
      b.comm->broadcast(as_buffer(b.flat)).wait();
      for (std::size_t index : b.params) {
        Parameter& p = params_[index];
        p.tensor.copy_(b.flat.narrow(0, p.offset, p.tensor.numel()).view(p.tensor.sizes()));
      }
      b.flat.zero_();
    }
    for (const NamedTensor& buffer : buffers) {
      if (buffer.tensor.is_contiguous()) {
        buffer_comm.broadcast(raw_bytes(buffer.tensor)).wait();
      } else {
        torch::Tensor packed = buffer.tensor.contiguous();
        buffer_comm.broadcast(raw_bytes(packed)).wait();
        buffer.tensor.copy_(packed);
      }
    }
  }
  // Gradients become views into the buckets, keeping any existing values.
  for (Parameter& p : params_) {
    const Bucket& b = buckets_[p.bucket];
    p.grad_view = torch::empty({0}, b.flat.options());
    p.grad_view.set_(b.flat.storage(), b.flat.storage_offset() + p.offset, p.tensor.sizes());
    bind_gradient(p);
  }
}

void GradientReducer::install_hooks() {
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Parameter& p = params_[i];
    p.accumulator = torch::autograd::impl::grad_accumulator(p.tensor);
    if (!p.accumulator) {
      throw Error(fmt::format("gradient reducer: parameter '{}' is not a leaf tensor requiring "
                              "grad",
                              p.name));
    }
    p.hook_key = p.accumulator->add_post_hook(
        std::make_unique<torch::autograd::utils::LambdaPostHook>(
            [this, i](const torch::autograd::variable_list& outputs,
                      const torch::autograd::variable_list& /*inputs*/) {
              on_gradient(i);
              return outputs;
            }));
  }
}

// Makes p's .grad the bucket view again if something replaced it (a new
// tensor from AccumulateGrad after .grad was reset, or user code).
void GradientReducer::bind_gradient(Parameter& p) {
  torch::Tensor& grad = p.tensor.mutable_grad();
  if (grad.defined() && grad.data_ptr() == p.grad_view.data_ptr()) {
    return;
  }
  torch::NoGradGuard no_grad;
  if (grad.defined()) {
    p.grad_view.copy_(grad);
  } else {
    p.grad_view.zero_();
  }
  grad = p.grad_view;
}

void GradientReducer::on_gradient(std::size_t index) {
  std::lock_guard lock(mu_);
  Parameter& p = params_[index];
  bind_gradient(p);
  p.used = true;
  if (!syncing_) {
    return;
  }
  if (p.ready) {
    throw Error(fmt::format("gradient reducer: parameter '{}' received a gradient twice in one "
                            "backward pass (reentrant backward, or the same parameter in two "
                            "graphs); this is not supported",
                            p.name));
  }
  p.ready = true;
  if (!finalize_queued_) {
    finalize_queued_ = true;
    torch::autograd::Engine::get_default_engine().queue_callback([this] { finalize(); });
  }
  if (--buckets_[p.bucket].pending == 0) {
    launch_ready_buckets();
  }
}

// Launches, per group, every bucket whose turn has come: bucket k of a group
// only after buckets 0..k-1 of that group, so all ranks issue the same order.
void GradientReducer::launch_ready_buckets() {
  for (std::size_t g = 0; g < group_comms_.size(); ++g) {
    for (Bucket& b : buckets_) {
      if (b.group != g || b.launched) {
        continue;
      }
      if (b.pending > 0) {
        break;  // an earlier bucket of this group is not ready yet
      }
      b.work = b.comm->all_reduce(as_buffer(b.flat), {.op = ReduceOp::kAvg, .async = true});
      b.launched = true;
    }
  }
}

void GradientReducer::finalize() {
  std::lock_guard lock(mu_);
  finalize_queued_ = false;
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].ready) {
      missing.push_back(i);
    }
  }
  if (!missing.empty() && !options_.find_unused_parameters) {
    std::vector<std::string> names;
    for (std::size_t i : missing) {
      names.push_back(params_[i].name);
    }
    reset_iteration();
    throw Error(fmt::format(
        "gradient reducer: {} parameter{} received no gradient in this backward pass: {}. Every "
        "rank must produce a gradient for every parameter, or the ranks' all-reduces no longer "
        "match; if the model skips these on purpose, set find_unused_parameters",
        names.size(), names.size() == 1 ? "" : "s", fmt::join(names, ", ")));
  }
  for (std::size_t i : missing) {
    Parameter& p = params_[i];
    bind_gradient(p);
    if (!p.used) {
      torch::NoGradGuard no_grad;
      p.grad_view.zero_();  // contributes nothing to the average
    }
    p.ready = true;
    --buckets_[p.bucket].pending;
  }
  const auto waiting = std::chrono::steady_clock::now();
  launch_ready_buckets();
  try {
    for (Bucket& b : buckets_) {
      b.work.wait();
    }
    exposed_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - waiting).count();
    if (options_.find_unused_parameters) {
      // A parameter no rank used keeps no gradient (as DDP), so optimizers skip it.
      unused_.clear();
      for (std::size_t g = 0; g < group_comms_.size(); ++g) {
        std::vector<std::int32_t> used;
        std::vector<std::size_t> which;
        for (std::size_t i = 0; i < params_.size(); ++i) {
          if (params_[i].group == g) {
            used.push_back(params_[i].used ? 1 : 0);
            which.push_back(i);
          }
        }
        group_comms_[g]->all_reduce(as_buffer(used), {.op = ReduceOp::kMax}).wait();
        for (std::size_t k = 0; k < which.size(); ++k) {
          if (used[k] == 0) {
            params_[which[k]].tensor.mutable_grad() = torch::Tensor();
            unused_.push_back(params_[which[k]].name);
          }
        }
      }
    }
  } catch (...) {
    reset_iteration();
    throw;
  }
  reset_iteration();
}

void GradientReducer::reset_iteration() {
  for (Parameter& p : params_) {
    p.ready = false;
    p.used = false;
  }
  for (Bucket& b : buckets_) {
    b.pending = b.params.size();
    b.launched = false;
    b.work = Work();
  }
}

std::vector<std::vector<std::string>> GradientReducer::bucket_layout() const {
  std::vector<std::vector<std::string>> layout;
  for (const Bucket& b : buckets_) {
    std::vector<std::string> names;
    for (std::size_t i : b.params) {
      names.push_back(params_[i].name);
    }
    layout.push_back(std::move(names));
  }
  return layout;
}

std::size_t GradientReducer::launched_buckets() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(
      std::count_if(buckets_.begin(), buckets_.end(), [](const Bucket& b) { return b.launched; }));
}

double GradientReducer::exposed_seconds() const {
  std::lock_guard lock(mu_);
  return exposed_seconds_;
}

std::vector<std::string> GradientReducer::unused_parameters() const {
  std::lock_guard lock(mu_);
  return unused_;
}

GradientReducer::NoSync::NoSync(GradientReducer& reducer) : reducer_(reducer) {
  std::lock_guard lock(reducer_.mu_);
  reducer_.syncing_ = false;
}

GradientReducer::NoSync::~NoSync() {
  std::lock_guard lock(reducer_.mu_);
  reducer_.syncing_ = true;
}

}  // namespace tessera::comm
