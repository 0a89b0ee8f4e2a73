#include "jobs/locoprop/locoprop_step.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>
#include <sstream>

#include <fmt/format.h>
#include <torch/autograd.h>
#include <torch/types.h>

#include "comm/torch/tensor_buffer.h"
#include "jobs/train/module_state.h"
#include "optim/optimizer_factory.h"
#include "optim/optimizer_state.h"
#include "runtime/error.h"

namespace tessera::jobs::locoprop {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Waits for every Work, returning the seconds spent waiting.
double wait_all(std::vector<comm::Work>& works) {
  const auto start = Clock::now();
  for (comm::Work& w : works) {
    w.wait();
  }
  works.clear();
  return seconds_since(start);
}

// `tensors` of rank `root` on every rank of `comm` (names, dtypes, shapes and
// values); the argument is ignored elsewhere.
std::map<std::string, torch::Tensor> broadcast_tensors(comm::Communicator& comm,
                                                       const std::map<std::string, torch::Tensor>& tensors,
                                                       int root) {
  std::string header;
  if (comm.rank() == root) {
    for (const auto& [name, t] : tensors) {
      header += fmt::format("{} {} {}", name, static_cast<int>(t.scalar_type()), t.dim());
      for (std::int64_t d : t.sizes()) {
        header += fmt::format(" {}", d);
      }
      header += '\n';
    }
  }
  std::int64_t length = static_cast<std::int64_t>(header.size());
  comm.broadcast(comm::as_buffer(length), {.root = root}).wait();
  std::vector<std::uint8_t> bytes(header.begin(), header.end());
  bytes.resize(static_cast<std::size_t>(length));
  if (length > 0) {
    comm.broadcast(comm::as_buffer(bytes), {.root = root}).wait();
  }
  std::map<std::string, torch::Tensor> out;
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  std::string name;
  int type = 0;
  int dims = 0;
  while (in >> name >> type >> dims) {
    std::vector<std::int64_t> shape(static_cast<std::size_t>(dims));
    for (std::int64_t& d : shape) {
      in >> d;
    }
    torch::Tensor t = comm.rank() == root
                          ? tensors.at(name).detach().contiguous().clone()
                          : torch::empty(shape, torch::TensorOptions().dtype(static_cast<c10::ScalarType>(type)));
    comm.broadcast(comm::as_buffer(t), {.root = root}).wait();
    out[name] = t;
  }
  return out;
}

}  // namespace

std::vector<int> assign_layers(const std::vector<double>& costs, int ranks) {
  TESSERA_CHECK(ranks >= 1, "{} ranks", ranks);
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  std::vector<double> load(static_cast<std::size_t>(ranks), 0.0);
  std::vector<int> owner(costs.size(), 0);
  for (std::size_t m : order) {
    const auto least = std::min_element(load.begin(), load.end()) - load.begin();
    owner[m] = static_cast<int>(least);
    load[static_cast<std::size_t>(least)] += costs[m];
  }
  return owner;
}

struct LocoPropStep::Layer {
  torch::Tensor weight;  // [out, in], the model's parameter
  torch::Tensor bias;    // [out]
  train::Activation match = train::Activation::kLinear;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  torch::Tensor grad_w;  // views into flat_grad_
  torch::Tensor grad_b;
  torch::Tensor flat_params;  // [W | b] for the layer-parallel broadcast
  torch::Tensor input;   // this step's x_{m-1} (the rank's share, or the global batch for its owner)
  torch::Tensor target;
  torch::Tensor weight0;  // W_t, b_t for the proximal term
  torch::Tensor bias0;
};

LocoPropStep::LocoPropStep(train::DenseStack& model, const optim::OptimizerConfig& inner, comm::Communicator* world,
                           LocoPropOptions options)
    : model_(model), world_(world), options_(options), pool_(options.layer_threads) {
  if (options_.local_iters < 1) {
    throw ConfigError(fmt::format("locoprop.local_iters = {} (must be >= 1)", options_.local_iters));
  }
  const std::size_t depth = model_.depth();
  std::int64_t total = 0;
  std::vector<double> costs;
  for (std::size_t m = 0; m < depth; ++m) {
    torch::nn::Linear& linear = model_.layer(m);
    total += linear->weight.numel() + linear->bias.numel();
    costs.push_back(static_cast<double>(linear->weight.numel() + linear->bias.numel()));
  }
  flat_grad_ = torch::zeros({total}, model_.layer(0)->weight.options());
  std::int64_t offset = 0;
  std::size_t bucket_start = 0;
  std::int64_t bucket_elements = 0;
  const auto bucket_limit = static_cast<std::int64_t>(options_.bucket_mb * 1e6 / sizeof(float));
  for (std::size_t m = 0; m < depth; ++m) {
    torch::nn::Linear& linear = model_.layer(m);
    auto layer = std::make_unique<Layer>();
    layer->weight = linear->weight;
    layer->bias = linear->bias;
    layer->match = matching_activation(model_.activation(m), m + 1 == depth, options_.loss);
    layer->optimizer = optim::make_optimizer(inner, std::vector<torch::Tensor>{layer->weight, layer->bias});
    const std::int64_t nw = layer->weight.numel();
    const std::int64_t nb = layer->bias.numel();
    layer->grad_w = flat_grad_.narrow(0, offset, nw).view(layer->weight.sizes());
    layer->grad_b = flat_grad_.narrow(0, offset + nw, nb);
    offset += nw + nb;
    bucket_elements += nw + nb;
    if (bucket_elements >= bucket_limit || m + 1 == depth) {
      buckets_.emplace_back(bucket_start, m + 1);
      bucket_start = m + 1;
      bucket_elements = 0;
    }
    layers_.push_back(std::move(layer));
  }
  owners_ = options_.parallel == Parallel::kLayers ? assign_layers(costs, world_size())
                                                   : std::vector<int>(depth, 0);
}

LocoPropStep::~LocoPropStep() = default;

int LocoPropStep::rank() const { return world_ ? world_->rank() : 0; }
int LocoPropStep::world_size() const { return world_ ? world_->size() : 1; }

double LocoPropStep::inner_lr(double lr, int k) const {
  const double fraction = 1.0 - static_cast<double>(k) / static_cast<double>(options_.local_iters);
  return lr * std::max(fraction, options_.min_lr_fraction);
}

train::StepResult LocoPropStep::step(std::span<const train::Batch> micro_batches, double lr) {
  if (micro_batches.size() != 1) {
    throw ConfigError(fmt::format("train.accumulate = {} (locoprop takes each rank's share whole: use 1)",
                                  micro_batches.size()));
  }
  const train::Batch& batch = micro_batches.front();
  train::StepResult result;
  torch::Tensor x = batch.input.dim() == 2 ? batch.input : batch.input.flatten(1);
  train::DenseStack::Trace trace = model_.forward_trace(x);
  torch::Tensor loss = train::compute_loss(options_.loss, trace.outputs.back(), batch.target);
  result.loss = loss.item<double>();
  if (options_.mode == Mode::kBackprop) {
    result.comm_seconds = backprop(loss, lr);
    return result;
  }
  std::vector<torch::Tensor> grads = torch::autograd::grad({loss}, trace.pre_activations);
  set_targets(trace, grads);
  result.comm_seconds = options_.parallel == Parallel::kLayers ? solve_layer_parallel(lr) : solve_data_parallel(lr);
  return result;
}

void LocoPropStep::set_targets(const train::DenseStack::Trace& trace, const std::vector<at::Tensor>& grads) {
  torch::NoGradGuard no_grad;
  // Each rank's loss is the mean over its share; the global loss is the mean
  // of those (equal shares), so dL/da of the global batch is this / world.
  const double scale = 1.0 / world_size();
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    Layer& layer = *layers_[m];
    layer.input = trace.inputs[m].detach();
    layer.target = local_target(options_.mode, layer.match, trace.pre_activations[m].detach(),
                                grads[m] * scale, options_.activation_lr);
  }
}

double LocoPropStep::backprop(const at::Tensor& loss, double lr) {
  std::vector<torch::Tensor> params;
  for (const auto& layer : layers_) {
    params.push_back(layer->weight);
    params.push_back(layer->bias);
  }
  std::vector<torch::Tensor> grads = torch::autograd::grad({loss}, params);
  torch::NoGradGuard no_grad;
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    layers_[m]->grad_w.copy_(grads[2 * m]);
    layers_[m]->grad_b.copy_(grads[2 * m + 1]);
  }
  double waited = 0;
  if (world_size() > 1) {
    std::vector<comm::Work> works;
    works.push_back(world_->all_reduce(comm::as_buffer(flat_grad_), {.op = comm::ReduceOp::kAvg, .async = true}));
    waited = wait_all(works);
  }
  for (const auto& layer : layers_) {
    apply(*layer, lr);
  }
  return waited;
}

void LocoPropStep::local_gradient(Layer& layer) {
  torch::Tensor z = torch::addmm(layer.bias, layer.input, layer.weight.t());
  torch::Tensor residual = local_residual(options_.mode, layer.match, z, layer.target);
  at::mm_out(layer.grad_w, residual.t(), layer.input);
  at::sum_out(layer.grad_b, residual, {0});
}

void LocoPropStep::apply(Layer& layer, double lr) {
  if (options_.prox_eta > 0 && options_.mode != Mode::kBackprop) {
    layer.grad_w.add_(layer.weight - layer.weight0, 1.0 / options_.prox_eta);
    layer.grad_b.add_(layer.bias - layer.bias0, 1.0 / options_.prox_eta);
  }
  layer.weight.mutable_grad() = layer.grad_w;
  layer.bias.mutable_grad() = layer.grad_b;
  optim::set_lr(*layer.optimizer, lr);
  layer.optimizer->step();
}

double LocoPropStep::solve_data_parallel(double lr) {
  const std::size_t depth = layers_.size();
  if (options_.prox_eta > 0) {
    for (const auto& layer : layers_) {
      layer->weight0 = layer->weight.detach().clone();
      layer->bias0 = layer->bias.detach().clone();
    }
  }
  double waited = 0;
  std::vector<std::future<void>> done(depth);
  for (int k = 0; k < options_.local_iters; ++k) {
    for (std::size_t m = 0; m < depth; ++m) {
      done[m] = pool_.submit([this, m] { local_gradient(*layers_[m]); });
    }
    std::vector<std::future<void>*> pending;
    for (auto& d : done) {
      pending.push_back(&d);
    }
    waited += all_reduce_gradients(pending);
    const double lr_k = inner_lr(lr, k);
    for (std::size_t m = 0; m < depth; ++m) {
      done[m] = pool_.submit([this, m, lr_k] { apply(*layers_[m], lr_k); });
    }
    for (auto& d : done) {
      d.get();
    }
  }
  return waited;
}

double LocoPropStep::all_reduce_gradients(const std::vector<std::future<void>*>& pending) {
  if (world_size() == 1) {
    for (std::future<void>* f : pending) {
      f->get();
    }
    return 0;
  }
  // Each bucket's sum starts as soon as its layers are done, while later
  // layers still compute.
  std::vector<comm::Work> works;
  for (const auto& [first, last] : buckets_) {
    for (std::size_t m = first; m < last; ++m) {
      pending[m]->get();
    }
    const std::int64_t begin = layers_[first]->grad_w.data_ptr<float>() - flat_grad_.data_ptr<float>();
    const std::int64_t end =
        layers_[last - 1]->grad_b.data_ptr<float>() + layers_[last - 1]->grad_b.numel() - flat_grad_.data_ptr<float>();
    works.push_back(world_->all_reduce(comm::as_buffer(flat_grad_.narrow(0, begin, end - begin)), {.async = true}));
  }
  return wait_all(works);
}

double LocoPropStep::exchange_inputs() {
  // The owner of layer m gathers every rank's rows of x_{m-1} and of the
  // target, in rank order: the global batch's order.
  const int world = world_size();
  const int me = rank();
  std::vector<comm::Work> works;
  std::vector<torch::Tensor> keep;  // sent tensors stay alive until their Work completes
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    Layer& layer = *layers_[m];
    const int owner = owners_[m];
    const int tag = static_cast<int>(2 * m);
    if (me != owner) {
      keep.push_back(layer.input.contiguous());
      keep.push_back(layer.target.contiguous());
      works.push_back(world_->send(comm::as_buffer(keep[keep.size() - 2]), owner, {.tag = tag, .async = true}));
      works.push_back(world_->send(comm::as_buffer(keep.back()), owner, {.tag = tag + 1, .async = true}));
      continue;
    }
    const std::int64_t rows = layer.input.size(0);
    torch::Tensor input = torch::empty({rows * world, layer.input.size(1)}, layer.input.options());
    torch::Tensor target = torch::empty({rows * world, layer.target.size(1)}, layer.target.options());
    for (int r = 0; r < world; ++r) {
      torch::Tensor in_rows = input.narrow(0, r * rows, rows);
      torch::Tensor target_rows = target.narrow(0, r * rows, rows);
      if (r == me) {
        in_rows.copy_(layer.input);
        target_rows.copy_(layer.target);
      } else {
        works.push_back(world_->recv(comm::as_buffer(in_rows), r, {.tag = tag, .async = true}));
        works.push_back(world_->recv(comm::as_buffer(target_rows), r, {.tag = tag + 1, .async = true}));
      }
    }
    layer.input = input;
    layer.target = target;
  }
  return wait_all(works);
}

double LocoPropStep::broadcast_weights() {
  std::vector<comm::Work> works;
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    Layer& layer = *layers_[m];
    const std::int64_t nw = layer.weight.numel();
    if (!layer.flat_params.defined()) {
      layer.flat_params = torch::empty({nw + layer.bias.numel()}, layer.weight.options());
    }
    if (owners_[m] == rank()) {
      layer.flat_params.narrow(0, 0, nw).copy_(layer.weight.detach().reshape({-1}));
      layer.flat_params.narrow(0, nw, layer.bias.numel()).copy_(layer.bias.detach());
    }
    works.push_back(world_->broadcast(comm::as_buffer(layer.flat_params), {.root = owners_[m], .async = true}));
  }
  const double waited = wait_all(works);
  torch::NoGradGuard no_grad;
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    Layer& layer = *layers_[m];
    if (owners_[m] != rank()) {
      const std::int64_t nw = layer.weight.numel();
      layer.weight.copy_(layer.flat_params.narrow(0, 0, nw).view(layer.weight.sizes()));
      layer.bias.copy_(layer.flat_params.narrow(0, nw, layer.bias.numel()));
    }
  }
  return waited;
}

double LocoPropStep::solve_layer_parallel(double lr) {
  double waited = world_size() > 1 ? exchange_inputs() : 0;
  std::vector<std::size_t> mine;
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    if (owners_[m] == rank()) {
      mine.push_back(m);
    }
  }
  // No communication inside: each owned layer runs its K steps to the end.
  std::vector<std::future<void>> done;
  for (std::size_t m : mine) {
    done.push_back(pool_.submit([this, m, lr] {
      Layer& layer = *layers_[m];
      if (options_.prox_eta > 0) {
        layer.weight0 = layer.weight.detach().clone();
        layer.bias0 = layer.bias.detach().clone();
      }
      for (int k = 0; k < options_.local_iters; ++k) {
        local_gradient(layer);
        apply(layer, inner_lr(lr, k));
      }
    }));
  }
  for (auto& d : done) {
    d.get();
  }
  if (world_size() > 1) {
    waited += broadcast_weights();
  }
  return waited;
}

void LocoPropStep::save(runtime::CheckpointState& state) {
  train::save_module(state, "model", model_);
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    const std::string prefix = fmt::format("optimizer/{}", m);
    if (options_.parallel == Parallel::kLayers && world_size() > 1) {
      // Only the owner has the layer's state: make it everyone's (rank 0
      // writes replicated arrays).
      std::map<std::string, torch::Tensor> shared =
          broadcast_tensors(*world_, optim::optimizer_state(*layers_[m]->optimizer), owners_[m]);
      if (owners_[m] != rank()) {
        optim::set_optimizer_state(*layers_[m]->optimizer, shared);
      }
    }
    train::save_optimizer(state, prefix, *layers_[m]->optimizer);
  }
}

void LocoPropStep::load(const runtime::Checkpoint& checkpoint) {
  train::load_module(checkpoint, "model", model_);
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    train::load_optimizer(checkpoint, fmt::format("optimizer/{}", m), *layers_[m]->optimizer);
  }
}

}  // namespace tessera::jobs::locoprop
