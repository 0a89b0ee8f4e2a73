#pragma once

// JobSpec: the part of every job's YAML that is not specific to its kind.
//
//   job: data_parallel          # registered job kind
//   name: fmnist-autoencoder    # run name (default: the job kind)
//   seed: 1
//   runtime: {backend: auto, threads_per_rank: 1}
//   checkpoint: {every_steps: 200, keep: 3, resume: auto}
//   output: {dir: runs/fmnist-autoencoder}
//   slurm: {ntasks_per_node: 2, time: "02:00:00", partition: gpu}   # tessera submit
//
// The job kind's own sections (data, model, optim, ...) sit beside these at
// the top level and are declared by the kind's JobConfig.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Defaults for `tessera submit` (its command-line options override them).
// `tessera run` ignores this section.
struct SlurmConfig {
  int nodes = 1;                         // --nodes
  int ntasks_per_node = 1;               // --ntasks-per-node: ranks per node
  int gpus_per_node = 0;                 // --gpus-per-node (0: none requested)
  int cpus_per_task = 0;                 // --cpus-per-task (0: Slurm's default)
  std::string time;                      // --time in Slurm's format ("" = partition default)
  std::string partition;                 // --partition ("" = the cluster's default)
  std::string account;                   // --account
  std::string qos;                       // --qos
  std::string signal = "USR1";           // warning signal before the time limit
  config::Seconds signal_before{120};    // how long before the time limit it comes
  std::string launcher = "srun";         // srun (--mpi=pmix) or mpirun inside the allocation
  std::vector<std::string> sbatch_args;  // more #SBATCH options ("--mem=64G", "--constraint=a100")
  std::vector<std::string> setup;        // shell lines run before the launch ("module load ...")

  void fields(config::Fields& f);
};

// Parses a Slurm time limit: "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM" or
// "D-HH:MM:SS" (also "INFINITE"/"UNLIMITED": nullopt with `*unlimited` set).
// nullopt when malformed.
std::optional<config::Seconds> parse_slurm_time(std::string_view text, bool* unlimited = nullptr);

struct JobSpec {
  std::string job;                       // registered job kind
  std::string name;                      // run name; default: the job kind
  std::uint64_t seed = 1;                // base seed of every random stream
  RuntimeConfig runtime;
  CheckpointConfig checkpoint;
  OutputConfig output;
  SlurmConfig slurm;

  void fields(config::Fields& f);
  // Fills defaults that depend on other fields (name, output.dir).
  void resolve_defaults();
};

}  // namespace tessera::runtime
