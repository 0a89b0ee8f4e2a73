#pragma once

// ModelConfig: the `model:` section of a training job (torch-free).
//
//   model: {kind: mlp, layers: [784, 256, 128, 10], activation: relu}
//   model: {kind: autoencoder, layers: [784, 1000, 500, 250, 30], activation: tanh,
//           weight_init: glorot_uniform, bias_init: glorot_uniform}
//   model: {kind: cnn, channels: [32, 64], layers: [128, 10]}
//
// mlp          layers are all widths, input to output; hidden layers use
//              `activation`, the last `output` (linear: logits).
// autoencoder  layers are the encoder's widths, mirrored into the decoder
//              (784-1000-500-250-30 -> 784-...-30-...-784); the code layer
//              uses `bottleneck` (linear), the last layer `output`.
// cnn          conv blocks of `channels` over `input_shape`, then a dense
//              head of widths `layers` (hidden `activation`, last linear).
// `activations` (one per weight layer) overrides the per-layer choice.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/config/fields.h"

namespace tessera::jobs::train {

struct ModelConfig {
  std::string kind = "mlp";                              // mlp|autoencoder|cnn
  std::vector<std::int64_t> layers{784, 256, 10};        // widths (see above)
  std::string activation = "relu";                       // hidden layers
  std::vector<std::string> activations;                  // one per weight layer (overrides)
  std::string bottleneck = "linear";                     // autoencoder: code layer
  std::string output = "linear";                         // last layer (linear = logits)
  std::vector<std::int64_t> input_shape{1, 28, 28};      // cnn: channels, height, width
  std::vector<std::int64_t> channels{32, 64};            // cnn: output channels per conv block
  std::int64_t kernel = 5;                               // cnn: odd kernel size
  std::string weight_init = "default";                   // default|glorot_uniform
  std::string bias_init = "default";                     // default|zeros|glorot_uniform

  void fields(config::Fields& f);

  // Widths of every layer of a dense model (mlp: layers; autoencoder: mirrored).
  std::vector<std::int64_t> dense_widths() const;
  // Activation names of every weight layer of a dense model.
  std::vector<std::string> dense_activations() const;
};

}  // namespace tessera::jobs::train
