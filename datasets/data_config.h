#pragma once

// DataConfig: the `data:` section of a training job, embedded by job configs:
//
//   data:
//     train: "data/fmnist-train-{000000..000059}.tar"
//     eval: "data/fmnist-test-{000000..000009}.tar"
//     batch_size: 1000
//     shuffle: 5000
//     fields: {image: npy, label: cls}
//
// `fields` maps each output name to the extension that feeds it (with
// alternatives: `image: "jpg;png"`); the extension picks the decoder (see
// decode.h). Everything else has a default; `tessera jobs` lists them.
//
// Equal work on every rank (DDP never hangs on uneven shards): with several
// ranks every rank takes exactly the same number of samples per epoch:
//   epoch.samples_per_rank: N   exactly N per rank (wrapping around its
//                               shards, or drawing more when resampled);
//   equalize: drop (default)    the smallest rank share, from counted shards;
//   equalize: pad               the largest share; smaller ranks wrap around
//                               and repeat samples from their start;
//   equalize: none              each rank reads its own share, counts may
//                               differ (evaluation only; hangs DDP training).

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/byte_source.h"
#include "runtime/config/fields.h"

namespace tessera::datasets {

enum class OnError { kRaise, kSkip };
enum class Equalize { kNone, kDrop, kPad };
enum class SplitMode { kAuto, kShard, kSample };

// One output of the loader: a name and the extensions that can feed it.
struct FieldSpec {
  std::string name;               // output name ("image")
  std::vector<std::string> exts;  // alternatives, first match wins ("jpg", "png")
};

struct EpochConfig {
  std::int64_t samples_per_rank = 0;  // samples per rank per epoch; 0 = the rank's share

  void fields(config::Fields& f);
};

struct DataConfig {
  std::string train;                   // shard spec of the training set (see shard_spec.h)
  std::string eval;                    // shard spec of the evaluation set ("" = none)
  std::int64_t batch_size = 32;        // samples per batch
  bool drop_last = true;               // drop an incomplete last batch
  std::int64_t shuffle = 0;            // shuffle buffer in samples (0 = no sample shuffle)
  std::int64_t shuffle_initial = 0;    // samples buffered before the first is drawn (0 = shuffle)
  std::uint64_t shuffle_bytes = 1ULL << 30;  // the buffer stops filling past this many bytes
  bool shard_shuffle = true;           // new shard order every epoch, from (seed, epoch)
  std::vector<FieldSpec> outputs;      // YAML `fields`: output name -> extension(s)
  int workers = 2;                     // reader threads per rank
  std::int64_t prefetch = 256;         // samples queued per reader thread
  std::uint64_t prefetch_bytes = 64ULL << 20;  // bytes queued per reader thread
  bool resampled = false;              // endless stream of shards drawn with replacement
  EpochConfig epoch;
  Equalize equalize = Equalize::kDrop;
  SplitMode split = SplitMode::kAuto;  // auto: by shard when shards >= ranks, else by sample
  OnError on_error = OnError::kRaise;  // raise: stop on bad data; skip: count and go on
  bool strict = false;                 // also reject keys that reappear non-adjacently
  bool case_sensitive = false;         // keep extension case when grouping
  SourceOptions source;

  void fields(config::Fields& f);

  // The same settings for evaluation: no shuffling, no resampling, every
  // sample once (equalize none, samples_per_rank 0), incomplete batch kept.
  DataConfig for_eval() const;
};

// Parses "image: npy" style maps (as written in YAML) into outputs.
std::vector<FieldSpec> parse_field_specs(const YAML::Node& node, std::string& problem);

}  // namespace tessera::datasets
