#include "datasets/data_config.h"

#include <fmt/format.h>

namespace tessera::datasets {

void EpochConfig::fields(config::Fields& f) {
  f("samples_per_rank", samples_per_rank, "samples per rank per epoch (0: the rank's share of the shards)",
    config::at_least<std::int64_t>(0));
}

std::vector<FieldSpec> parse_field_specs(const YAML::Node& node, std::string& problem) {
  std::vector<FieldSpec> out;
  if (!node.IsDefined() || node.IsNull()) {
    return out;
  }
  if (!node.IsMap()) {
    problem = "must be a map of output name -> extension, e.g. {image: npy, label: cls}";
    return out;
  }
  for (const auto& entry : node) {
    if (!entry.second.IsScalar() || entry.second.Scalar().empty()) {
      problem = fmt::format("'{}' must name an extension (or several: \"jpg;png\")", entry.first.Scalar());
      return {};
    }
    FieldSpec spec{entry.first.Scalar(), {}};
    std::string text = entry.second.Scalar();
    std::size_t start = 0;
    for (;;) {
      std::size_t semi = text.find(';', start);
      std::string ext = text.substr(start, semi == std::string::npos ? semi : semi - start);
      if (ext.starts_with('.')) {
        ext.erase(0, 1);
      }
      if (!ext.empty()) {
        spec.exts.push_back(ext);
      }
      if (semi == std::string::npos) {
        break;
      }
      start = semi + 1;
    }
    out.push_back(std::move(spec));
  }
  return out;
}

void DataConfig::fields(config::Fields& f) {
  f("train", train, "shard spec of the training set, e.g. data/train-{000000..000059}.tar");
  f("eval", eval, "shard spec of the evaluation set (empty: none)");
  f("batch_size", batch_size, "samples per batch", config::positive<std::int64_t>());
  f("drop_last", drop_last, "drop an incomplete last batch");
  f("shuffle", shuffle, "sample shuffle buffer size in samples (0: no sample shuffle)",
    config::at_least<std::int64_t>(0));
  f("shuffle_initial", shuffle_initial, "samples buffered before the first draw (0: the whole buffer)",
    config::at_least<std::int64_t>(0));
  f("shuffle_bytes", shuffle_bytes, "the shuffle buffer stops filling past this many bytes",
    config::positive<std::uint64_t>());
  f("shard_shuffle", shard_shuffle, "reshuffle the shard order every epoch from (seed, epoch)");
  YAML::Node node;
  if (!f.parsing()) {
    for (const FieldSpec& spec : outputs) {
      std::string joined;
      for (const std::string& ext : spec.exts) {
        joined += (joined.empty() ? "" : ";") + ext;
      }
      node[spec.name] = joined;
    }
  }
  f.raw("fields", node, "outputs: name -> extension (alternatives with ';'), e.g. {image: npy, label: cls}");
  if (f.parsing()) {
    std::string problem;
    outputs = parse_field_specs(node, problem);
    if (!problem.empty()) {
      f.issue("fields", problem);
    }
  }
  f("workers", workers, "reader threads per rank", config::in_range(1, 64));
  f("prefetch", prefetch, "samples queued per reader thread", config::positive<std::int64_t>());
  f("prefetch_bytes", prefetch_bytes, "bytes queued per reader thread", config::positive<std::uint64_t>());
  f("resampled", resampled, "endless stream of shards drawn with replacement (needs epoch.samples_per_rank)");
  f("epoch", epoch, "epoch length");
  f.choice("equalize", equalize, {{"drop", Equalize::kDrop}, {"pad", Equalize::kPad}, {"none", Equalize::kNone}},
           "equal samples per rank: drop to the smallest share, pad to the largest, or none");
  f.choice("split", split, {{"auto", SplitMode::kAuto}, {"shard", SplitMode::kShard}, {"sample", SplitMode::kSample}},
           "split across ranks by shard or by sample (auto: by shard when shards >= ranks)");
  f.choice("on_error", on_error, {{"raise", OnError::kRaise}, {"skip", OnError::kSkip}},
           "bad data: raise a DataError, or skip the sample / rest of the shard and count it");
  f("strict", strict, "reject keys that reappear non-adjacently in a shard");
  f("case_sensitive", case_sensitive, "keep extension case when grouping members");
  f("source", source, "how shards are read (HTTP and pipe timeouts, retries, buffer)");
  if (f.parsing() && resampled && epoch.samples_per_rank == 0) {
    f.issue("resampled", "needs epoch.samples_per_rank: a resampled stream has no natural end");
  }
  if (f.parsing() && shuffle_initial > shuffle) {
    f.issue("shuffle_initial", "must be <= shuffle");
  }
}

DataConfig DataConfig::for_eval() const {
  DataConfig c = *this;
  c.shuffle = 0;
  c.shuffle_initial = 0;
  c.shard_shuffle = false;
  c.resampled = false;
  c.epoch.samples_per_rank = 0;
  c.equalize = Equalize::kNone;
  c.drop_last = false;
  return c;
}

}  // namespace tessera::datasets
