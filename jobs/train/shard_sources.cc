#include "jobs/train/shard_sources.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datasets/loader.h"
#include "runtime/error.h"

namespace tessera::jobs::train {
namespace {

at::Tensor field(const datasets::Batch& batch, const std::string& name, const char* role) {
  auto it = batch.tensors.find(name);
  if (it == batch.tensors.end()) {
    throw ConfigError(fmt::format("data.{} = {} (not a tensor output of data.fields)", role, name));
  }
  return it->second;
}

Batch to_batch(const TrainDataConfig& config, const SampleFormat& format, const datasets::Batch& batch) {
  at::Tensor labels = format.target == SampleFormat::Target::kLabel ? field(batch, config.label, "label")
                                                                    : at::Tensor();
  return format.make_batch(field(batch, config.input, "input"), labels);
}

// Samples in config.train, by reading it once.
std::int64_t count_samples(const datasets::DataConfig& config) {
  datasets::DataConfig counting = config.for_eval();
  counting.batch_size = 10'000;
  datasets::Loader loader(counting, config.train, datasets::Place{});
  std::int64_t samples = 0;
  while (std::optional<datasets::Batch> batch = loader.next()) {
    samples += batch->size();
  }
  return samples;
}

// Streams this rank's shards; epochs roll over by themselves.
class StreamSource final : public BatchSource {
 public:
  StreamSource(const TrainDataConfig& config, datasets::DataConfig loader_config, DataPlace place)
      : config_(config),
        format_(sample_format(config)),
        loader_(loader_config, loader_config.train, datasets::Place{place.rank, place.world, place.seed}) {
    std::optional<std::int64_t> per_epoch = loader_.batches_per_epoch();
    if (!per_epoch && place.world == 1 && loader_config.equalize != datasets::Equalize::kNone &&
        !loader_config.resampled) {
      // Alone, the loader does not count its shards; one pass does.
      const std::int64_t samples = count_samples(loader_config);
      const std::int64_t b = loader_config.batch_size;
      per_epoch = loader_config.drop_last ? samples / b : (samples + b - 1) / b;
    }
    if (!per_epoch || *per_epoch <= 0) {
      throw ConfigError(
          "data.mode = stream: the epoch length is not known up front (equalize none or resampled); set "
          "data.epoch.samples_per_rank, or use data.mode: memory");
    }
    batches_per_epoch_ = *per_epoch;
  }

  Batch next() override {
    std::optional<datasets::Batch> batch = loader_.next();
    if (!batch) {
      loader_.start_epoch(loader_.epoch() + 1);
      batch = loader_.next();
      if (!batch) {
        throw DataError(config_.loader.train, "", 0, "an epoch without a single batch");
      }
    }
    return to_batch(config_, format_, *batch);
  }

  std::int64_t batches_per_epoch() const override { return batches_per_epoch_; }
  std::string state() const override { return loader_.save_state(); }
  bool state_is_global() const override { return false; }
  void restore(std::string_view state) override { loader_.restore_state(state); }

 private:
  const TrainDataConfig& config_;
  SampleFormat format_;
  datasets::Loader loader_;
  std::int64_t batches_per_epoch_ = 0;
};

// This rank's part of an evaluation split, read again at every evaluation.
class StreamEvalSource final : public EvalSource {
 public:
  StreamEvalSource(const TrainDataConfig& config, std::string spec, std::int64_t batch, DataPlace place)
      : config_(config), spec_(std::move(spec)), place_(place), format_(sample_format(config)) {
    loader_config_ = config.loader.for_eval();
    loader_config_.batch_size = batch;
  }

  void for_each_batch(const std::function<void(const Batch&)>& visit) override {
    datasets::Loader loader(loader_config_, spec_, datasets::Place{place_.rank, place_.world, place_.seed});
    while (std::optional<datasets::Batch> batch = loader.next()) {
      visit(to_batch(config_, format_, *batch));
    }
  }

 private:
  const TrainDataConfig& config_;
  std::string spec_;
  DataPlace place_;
  SampleFormat format_;
  datasets::DataConfig loader_config_;
};

}  // namespace

SampleFormat sample_format(const TrainDataConfig& config) {
  return SampleFormat{config.target == "input" ? SampleFormat::Target::kInput : SampleFormat::Target::kLabel,
                      config.scale};
}

MemoryDataset load_split(const TrainDataConfig& config, const std::string& spec) {
  datasets::DataConfig loader_config = config.loader.for_eval();
  loader_config.batch_size = 10'000;
  datasets::Loader loader(loader_config, spec, datasets::Place{0, 1, 1});
  std::vector<at::Tensor> inputs;
  std::vector<at::Tensor> labels;
  const bool labelled = config.target == "label";
  while (std::optional<datasets::Batch> batch = loader.next()) {
    inputs.push_back(field(*batch, config.input, "input"));
    if (labelled) {
      labels.push_back(field(*batch, config.label, "label"));
    }
  }
  if (inputs.empty()) {
    throw DataError(spec, "", 0, "the split holds no samples");
  }
  return MemoryDataset{at::cat(inputs), labelled ? at::cat(labels) : at::Tensor()};
}

DataSources make_data_sources(const TrainDataConfig& config, DataPlace place, std::int64_t eval_batch,
                              bool with_train_eval) {
  const std::int64_t global = config.loader.batch_size;
  if (global % place.world != 0) {
    throw ConfigError(fmt::format("data.batch_size = {} (the global batch must be divisible by the {} ranks)",
                                  global, place.world));
  }
  const std::int64_t share = global / place.world;
  const std::int64_t eval_share = eval_batch > 0 ? eval_batch : share;
  const SampleFormat format = sample_format(config);
  DataSources sources;
  if (config.mode == "memory") {
    MemoryDataset train = load_split(config, config.loader.train);
    MemorySourceOptions options{global, place.rank, place.world, config.loader.shuffle > 0, place.seed, format};
    if (with_train_eval) {
      sources.train_eval = std::make_unique<MemoryEvalSource>(train, eval_share, place.rank, place.world, format);
    }
    sources.train = std::make_unique<MemorySource>(std::move(train), options);
    if (!config.loader.eval.empty()) {
      sources.eval = std::make_unique<MemoryEvalSource>(load_split(config, config.loader.eval), eval_share,
                                                        place.rank, place.world, format);
    }
    return sources;
  }
  datasets::DataConfig loader_config = config.loader;
  loader_config.batch_size = share;
  sources.train = std::make_unique<StreamSource>(config, loader_config, place);
  if (!config.loader.eval.empty()) {
    sources.eval = std::make_unique<StreamEvalSource>(config, config.loader.eval, eval_share, place);
  }
  if (with_train_eval) {
    sources.train_eval = std::make_unique<StreamEvalSource>(config, config.loader.train, eval_share, place);
  }
  return sources;
}

}  // namespace tessera::jobs::train
