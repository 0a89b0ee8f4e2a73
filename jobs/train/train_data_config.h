#pragma once

// TrainDataConfig: the `data:` section of the training jobs — the WebDataset
// loader's settings (datasets::DataConfig: shards, shuffle, fields, workers,
// equal epochs, ...) plus how its samples become batches.
//
//   data:
//     train: "data/fmnist/fmnist-train-{000000..000059}.tar"
//     eval: "data/fmnist/fmnist-test-{000000..000009}.tar"
//     fields: {image: npy, label: cls}
//     batch_size: 1000          # GLOBAL: samples per optimizer step over all ranks
//     shuffle: 5000
//     mode: memory              # memory | stream
//     target: input             # autoencoder: reconstruct the input
//
// batch_size is the global batch: each rank gets batch_size / world_size per
// step (an error when it does not divide), so a config trains the same way
// on any number of ranks.
//
// mode: memory  every rank loads the split once (through the loader) and
//               draws batches in DistributedSampler order: one permutation
//               per epoch from (seed, epoch), the same on every rank, rank r
//               taking its slice of each global batch. An N-rank run then
//               follows the 1-rank run step by step, and resumes exactly on
//               any world size. For data sets that fit in memory (Fashion-MNIST).
// mode: stream  each rank streams its own shards through the loader (shard
//               split, shuffle buffer, reader threads, equal batch counts from
//               `equalize`), for data sets of any size. Resumes exactly on the
//               same world size.

#include <string>

#include "datasets/data_config.h"
#include "runtime/config/fields.h"

namespace tessera::jobs::train {

struct TrainDataConfig {
  datasets::DataConfig loader;   // the loader's own keys (train, eval, batch_size, shuffle, fields, ...)
  std::string mode = "memory";   // memory|stream (see above)
  std::string input = "image";   // output of `fields` that holds the model input
  std::string label = "label";   // output of `fields` that holds the label (target: label)
  std::string target = "label";  // label (classifiers) | input (autoencoders)
  double scale = 1.0 / 255;      // inputs become float32 times this (1/255: bytes to [0, 1])

  void fields(config::Fields& f);
};

}  // namespace tessera::jobs::train
