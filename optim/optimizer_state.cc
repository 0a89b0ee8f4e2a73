#include "optim/optimizer_state.h"

#include <functional>

#include <fmt/format.h>
#include <torch/optim/adagrad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include "optim/tf1_rmsprop.h"
#include "runtime/error.h"

namespace tessera::optim {
namespace {

using torch::optim::OptimizerParamState;

// LibTorch keys an optimizer's state by the parameter's TensorImpl address.
std::string key_of(const torch::Tensor& parameter) {
  return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

torch::Tensor step_tensor(std::int64_t step) { return torch::tensor(step, torch::kInt64); }

// One field of a param state: its name and how to get and set it.
struct Field {
  const char* name;
  std::function<torch::Tensor(OptimizerParamState&)> get;
  std::function<void(OptimizerParamState&, const torch::Tensor&)> set;
};

template <class State>
Field tensor_field(const char* name, const torch::Tensor& (State::*get)() const,
                   State& (State::*set)(const torch::Tensor&)) {
  return {name, [get](OptimizerParamState& s) { return (static_cast<State&>(s).*get)(); },
          [set](OptimizerParamState& s, const torch::Tensor& t) { (static_cast<State&>(s).*set)(t); }};
}

template <class State>
Field step_field() {
  return {"step", [](OptimizerParamState& s) { return step_tensor(static_cast<State&>(s).step()); },
          [](OptimizerParamState& s, const torch::Tensor& t) { static_cast<State&>(s).step(t.item<std::int64_t>()); }};
}

// The fields of `optimizer`'s kind and a factory of its empty param state.
struct Kind {
  std::vector<Field> fields;
  std::function<std::unique_ptr<OptimizerParamState>()> make;
};

Kind kind_of(const torch::optim::Optimizer& optimizer) {
  using namespace torch::optim;
  if (dynamic_cast<const SGD*>(&optimizer) != nullptr) {
    return {{tensor_field<SGDParamState>("momentum_buffer", &SGDParamState::momentum_buffer,
                                         &SGDParamState::momentum_buffer)},
            [] { return std::make_unique<SGDParamState>(); }};
  }
  if (dynamic_cast<const Adam*>(&optimizer) != nullptr) {
    return {{step_field<AdamParamState>(),
             tensor_field<AdamParamState>("exp_avg", &AdamParamState::exp_avg, &AdamParamState::exp_avg),
             tensor_field<AdamParamState>("exp_avg_sq", &AdamParamState::exp_avg_sq, &AdamParamState::exp_avg_sq),
             tensor_field<AdamParamState>("max_exp_avg_sq", &AdamParamState::max_exp_avg_sq,
                                          &AdamParamState::max_exp_avg_sq)},
            [] { return std::make_unique<AdamParamState>(); }};
  }
  if (dynamic_cast<const AdamW*>(&optimizer) != nullptr) {
    return {{step_field<AdamWParamState>(),
             tensor_field<AdamWParamState>("exp_avg", &AdamWParamState::exp_avg, &AdamWParamState::exp_avg),
             tensor_field<AdamWParamState>("exp_avg_sq", &AdamWParamState::exp_avg_sq,
                                           &AdamWParamState::exp_avg_sq),
             tensor_field<AdamWParamState>("max_exp_avg_sq", &AdamWParamState::max_exp_avg_sq,
                                           &AdamWParamState::max_exp_avg_sq)},
            [] { return std::make_unique<AdamWParamState>(); }};
  }
  if (dynamic_cast<const RMSprop*>(&optimizer) != nullptr) {
    return {{step_field<RMSpropParamState>(),
             tensor_field<RMSpropParamState>("square_avg", &RMSpropParamState::square_avg,
                                             &RMSpropParamState::square_avg),
             tensor_field<RMSpropParamState>("momentum_buffer", &RMSpropParamState::momentum_buffer,
                                             &RMSpropParamState::momentum_buffer),
             tensor_field<RMSpropParamState>("grad_avg", &RMSpropParamState::grad_avg,
                                             &RMSpropParamState::grad_avg)},
            [] { return std::make_unique<RMSpropParamState>(); }};
  }
  if (dynamic_cast<const Adagrad*>(&optimizer) != nullptr) {
    return {{step_field<AdagradParamState>(),
             tensor_field<AdagradParamState>("sum", &AdagradParamState::sum, &AdagradParamState::sum)},
            [] { return std::make_unique<AdagradParamState>(); }};
  }
  if (dynamic_cast<const Tf1RmsProp*>(&optimizer) != nullptr) {
    return {{tensor_field<Tf1RmsPropParamState>("ms", &Tf1RmsPropParamState::ms, &Tf1RmsPropParamState::ms),
             tensor_field<Tf1RmsPropParamState>("mom", &Tf1RmsPropParamState::mom, &Tf1RmsPropParamState::mom)},
            [] { return std::make_unique<Tf1RmsPropParamState>(); }};
  }
  throw InternalError(
      "optimizer state: an optimizer kind other than sgd, adam, adamw, rmsprop, rmsprop_tf1, adagrad");
}

}  // namespace

std::map<std::string, torch::Tensor> optimizer_state(const torch::optim::Optimizer& optimizer) {
  Kind kind = kind_of(optimizer);
  std::map<std::string, torch::Tensor> out;
  const auto& groups = optimizer.param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& params = groups[g].params();
    for (std::size_t i = 0; i < params.size(); ++i) {
      auto it = optimizer.state().find(key_of(params[i]));
      if (it == optimizer.state().end()) {
        continue;
      }
      for (const Field& field : kind.fields) {
        torch::Tensor t = field.get(*it->second);
        if (t.defined()) {
          out[fmt::format("{}/{}/{}", g, i, field.name)] = t;
        }
      }
    }
  }
  return out;
}

void set_optimizer_state(torch::optim::Optimizer& optimizer,
                         const std::map<std::string, torch::Tensor>& state) {
  Kind kind = kind_of(optimizer);
  optimizer.state().clear();
  std::size_t used = 0;
  auto& groups = optimizer.param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& params = groups[g].params();
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::unique_ptr<OptimizerParamState> param_state;
      for (const Field& field : kind.fields) {
        auto it = state.find(fmt::format("{}/{}/{}", g, i, field.name));
        if (it == state.end()) {
          continue;
        }
        torch::Tensor value = it->second;
        if (std::string(field.name) != "step") {
          if (value.sizes() != params[i].sizes()) {
            throw CheckpointError({}, fmt::format("optimizer state {} does not fit its parameter",
                                                  it->first));
          }
          value = value.to(params[i].options(), /*non_blocking=*/false, /*copy=*/true);
        }
        if (!param_state) {
          param_state = kind.make();
        }
        field.set(*param_state, value);
        ++used;
      }
      if (param_state) {
        optimizer.state()[key_of(params[i])] = std::move(param_state);
      }
    }
  }
  if (used != state.size()) {
    throw CheckpointError({}, fmt::format("optimizer state has {} entries, {} fit this optimizer's parameters",
                                          state.size(), used));
  }
}

}  // namespace tessera::optim
