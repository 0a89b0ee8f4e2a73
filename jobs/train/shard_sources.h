#pragma once

// Batch sources over WebDataset shards (datasets::Loader), for both modes of
// TrainDataConfig, and the evaluation splits.

#include <cstdint>
#include <memory>

#include "jobs/train/batch_source.h"
#include "jobs/train/memory_source.h"
#include "jobs/train/train_data_config.h"

namespace tessera::jobs::train {

struct DataPlace {
  int rank = 0;
  int world = 1;
  std::uint64_t seed = 1;
};

struct DataSources {
  std::unique_ptr<BatchSource> train;       // this rank's share of each global batch
  std::unique_ptr<EvalSource> eval;         // the `eval` split (nullptr when none)
  std::unique_ptr<EvalSource> train_eval;   // the whole training split (when asked for)
};

// Builds the sources `config` describes. `eval_batch` is the per-rank
// evaluation batch (0: the training share). Throws ConfigError (a batch that
// does not divide, fields that do not name the input/label) or DataError.
DataSources make_data_sources(const TrainDataConfig& config, DataPlace place, std::int64_t eval_batch,
                              bool with_train_eval);

// The whole split `spec` read into memory (inputs as stored, labels int64).
MemoryDataset load_split(const TrainDataConfig& config, const std::string& spec);

// How `config` turns stored samples into batches.
SampleFormat sample_format(const TrainDataConfig& config);

}  // namespace tessera::jobs::train
