#pragma once

// The layerwise job's config sections (beside the common job header and the
// sweep engine's `sweep:` section):
//
//   data:  {classes: [1, 9], size: 3, encoding: binary, train_examples: 100, test_examples: 200}
//   model: {total_layers: 21, readout_qubit: extra, readout: -1, loss: squared_hinge, shots: 10,
//   precision: c64} train: {lr: 0.01, batch_size: 20, sampling_rate_hz: 10000, success_threshold:
//   0.5} ll:    {start_layers: 1, layers_per_step: 2, max_trained_layers: 3, epochs_per_step: 10,
//           partition_fraction: 0.5, epochs_per_partition: 10, max_sweeps: 2}
//   cdl:   {epochs: 36}
//   layerwise: {plot: true}
//
// The sweep grid names strategy (ll | cdl), lr, seed (the circuit: its
// random rotation axes), and optionally shots; see layerwise_kernel.h.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/config/fields.h"

namespace tessera::jobs::layerwise {

// Two Fashion-MNIST classes, downsampled and encoded into qubits.
struct DataConfig {
  std::string source =
      "/usr/share/datasets/fashion-mnist";  // the *-idx*-ubyte.gz files (dataset-fashion-mnist)
  std::vector<int> classes = {1, 9};        // class labelled +1 (<Z> > 0), class labelled -1
  int size = 3;  // images averaged down to size x size pixels: size^2 qubits
  std::string encoding =
      "binary";              // binary: X on pixels > threshold; angle: Ry(pi x) on every pixel
  double threshold = 0.5;    // binary encoding's cut on pixel values in [0, 1]
  int train_examples = 100;  // balanced: half of each class, from the training file
  int test_examples = 200;   // balanced: half of each class, from the t10k file
  std::uint64_t seed = 0;    // which images are drawn (the same for every run)

  void fields(config::Fields& f);
};

struct ModelConfig {
  int total_layers = 21;  // trainable layers of the final circuit
  std::string readout_qubit =
      "extra";       // extra: one more qubit in |+> (<Z> = 0 untrained) | data: a pixel's qubit
  int readout = -1;  // qubit whose <Z> is the prediction; -1: the last one
  std::string loss =
      "squared_hinge";  // squared_hinge: max(0, 1 - y<Z>)^2 | cross_entropy on p = (1 + y<Z>)/2
  std::int64_t shots =
      10;  // measurements per expectation (predictions and each shifted term); 0: exact
  std::string precision = "c64";  // state vectors: c64 | c128

  void fields(config::Fields& f);
};

struct TrainConfig {
  double lr = 0.01;       // Adam's step size (a grid key `lr` overrides it)
  int batch_size = 20;    // examples per Adam step
  double beta1 = 0.9;     // Adam
  double beta2 = 0.999;   // Adam
  double epsilon = 1e-7;  // Adam (TensorFlow's default)
  double sampling_rate_hz =
      10000;  // shots per second of the hardware the wall-clock estimate assumes
  double success_threshold =
      0.5;  // analysis: a run succeeds when its final test error is below this

  void fields(config::Fields& f);
};

// Layerwise learning (Skolik et al. 2020).
struct LayerwiseConfig {
  int start_layers = 1;        // phase 1: layers present from the start and always trained
  int layers_per_step = 2;     // phase 1: new layers (angles 0) added per step
  int max_trained_layers = 3;  // phase 1: start layers + the newest layers trained at once
  int epochs_per_step =
      10;  // phase 1: epochs per step (the first step trains the start layers alone)
  double partition_fraction =
      0.5;  // phase 2: each contiguous partition holds this fraction of the layers
  int epochs_per_partition = 10;  // phase 2: epochs per partition per sweep
  int max_sweeps = 2;             // phase 2: sweeps at most (0: no phase 2)
  double min_improvement =
      0.0;  // phase 2: stop when a sweep lowers the train loss by less than this

  void fields(config::Fields& f);
};

// Complete-depth learning: the whole circuit trained from the start.
struct CompleteDepthConfig {
  int epochs = 36;            // epochs over the training set
  std::string init = "zero";  // zero: every angle 0 (as LL's layers) | random: uniform in [0, 2
                              // pi), per circuit seed

  void fields(config::Fields& f);
};

struct OutputConfig {
  bool plot = true;  // draw test_error_vs_wallclock.png in the run directory

  void fields(config::Fields& f);
};

}  // namespace tessera::jobs::layerwise
