#pragma once

// JobSpec: the part of every job's YAML that is not specific to its kind.
//
//   job: data_parallel          # registered job kind
//   name: fmnist-autoencoder    # run name (default: the job kind)
//   seed: 1
//   runtime: {backend: auto, threads_per_rank: 1}
//   checkpoint: {every_steps: 200, keep: 3, resume: auto}
//   output: {dir: runs/fmnist-autoencoder}
//
// The job kind's own sections (data, model, optim, ...) sit beside these at
// the top level and are declared by the kind's JobConfig.

#include <cstdint>
#include <string>

#include "runtime/checkpoint/checkpoint_config.h"
#include "runtime/config/fields.h"

namespace tessera::runtime {

struct RuntimeConfig {
  std::string backend = "auto";          // communicator: auto|mpi|nccl|local
  std::string device = "cpu";            // cpu|cuda (one GPU per local rank)
  int threads_per_rank = 1;              // LibTorch intra-op threads per rank
  config::Seconds comm_timeout{600};     // every collective gives up after this
  bool comm_debug = false;               // compare collective fingerprints across ranks
  std::string log_level = "info";        // trace|debug|info|warn|error
  config::Seconds progress_every{10};    // seconds between progress lines on rank 0

  void fields(config::Fields& f);
};

struct OutputConfig {
  std::string dir;                       // run directory; default runs/<name>
  config::Seconds metrics_flush{10};     // seconds between metrics.h5 flushes

  void fields(config::Fields& f);
};

struct JobSpec {
  std::string job;                       // registered job kind
  std::string name;                      // run name; default: the job kind
  std::uint64_t seed = 1;                // base seed of every random stream
  RuntimeConfig runtime;
  CheckpointConfig checkpoint;
  OutputConfig output;

  void fields(config::Fields& f);
  // Fills defaults that depend on other fields (name, output.dir).
  void resolve_defaults();
};

}  // namespace tessera::runtime
