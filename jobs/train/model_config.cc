#include "jobs/train/model_config.h"

#include <fmt/format.h>

namespace tessera::jobs::train {
namespace {

const std::vector<std::string> kActivations{"linear", "tanh", "relu", "sigmoid", "softmax"};

}  // namespace

void ModelConfig::fields(config::Fields& f) {
  f("kind", kind, "mlp, autoencoder (mirrored, linear bottleneck) or cnn",
    config::one_of({"mlp", "autoencoder", "cnn"}));
  f("layers", layers,
    "widths: mlp input..output; autoencoder the encoder (mirrored); cnn the dense head",
    config::each(config::positive<std::int64_t>()));
  f("activation", activation, "hidden layers' activation", config::one_of(kActivations));
  f("activations", activations, "one activation per weight layer (overrides the others)",
    config::each(config::one_of(kActivations)));
  f("bottleneck", bottleneck, "autoencoder: the code layer's activation", config::one_of(kActivations));
  f("output", output, "last layer's activation (linear: logits, what the losses expect)",
    config::one_of(kActivations));
  f("input_shape", input_shape, "cnn: channels, height, width of an input",
    config::each(config::positive<std::int64_t>()));
  f("channels", channels, "cnn: output channels of each conv + relu + 2x2 max-pool block",
    config::each(config::positive<std::int64_t>()));
  f("kernel", kernel, "cnn: odd convolution kernel size", config::positive<std::int64_t>());
  f("weight_init", weight_init, "default (LibTorch's) or glorot_uniform",
    config::one_of({"default", "glorot_uniform"}));
  f("bias_init", bias_init, "default (LibTorch's), zeros or glorot_uniform (U(+-sqrt(3/n)))",
    config::one_of({"default", "zeros", "glorot_uniform"}));
  if (!f.parsing()) {
    return;
  }
  const std::size_t minimum = kind == "cnn" ? 1 : 2;
  if (layers.size() < minimum) {
    f.issue("layers", fmt::format("needs at least {} widths for kind {}", minimum, kind));
  } else if (kind != "cnn" && !activations.empty() && activations.size() != dense_widths().size() - 1) {
    f.issue("activations", fmt::format("needs one entry per weight layer ({})", dense_widths().size() - 1));
  }
  if (kind == "cnn" && input_shape.size() != 3) {
    f.issue("input_shape", "needs 3 entries: channels, height, width");
  }
  if (kind == "cnn" && kernel % 2 == 0) {
    f.issue("kernel", "must be odd");
  }
}

std::vector<std::int64_t> ModelConfig::dense_widths() const {
  if (kind != "autoencoder") {
    return layers;
  }
  std::vector<std::int64_t> widths = layers;
  for (auto it = layers.rbegin() + 1; it != layers.rend(); ++it) {
    widths.push_back(*it);
  }
  return widths;
}

std::vector<std::string> ModelConfig::dense_activations() const {
  const std::size_t depth = dense_widths().size() - 1;
  if (!activations.empty()) {
    return activations;
  }
  std::vector<std::string> names(depth, activation);
  if (kind == "autoencoder") {
    names[layers.size() - 2] = bottleneck;
  }
  names.back() = output;
  return names;
}

}  // namespace tessera::jobs::train
