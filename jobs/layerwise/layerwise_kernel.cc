#include "jobs/layerwise/layerwise_kernel.h"

#include <cmath>
#include <numbers>
#include <set>

#include <fmt/format.h>

#include "jobs/layerwise/layerwise_strategy.h"
#include "jobs/layerwise/qnn_model.h"
#include "jobs/layerwise/qnn_trainer.h"
#include "runtime/rng.h"
#include "runtime/error.h"

namespace tessera::jobs::layerwise {
namespace {

int qubits_of(const LayerwiseSetup& s) {
  return s.data.size * s.data.size + (s.model.readout_qubit == "extra" ? 1 : 0);
}

int resolved_readout(const LayerwiseSetup& s) {
  return s.model.readout < 0 ? qubits_of(s) - 1 : s.model.readout;
}

nlohmann::json setup_json(const LayerwiseSetup& s, const std::string& strategy) {
  nlohmann::json j = {
      {"data",
       {{"classes", s.data.classes},
        {"size", s.data.size},
        {"encoding", s.data.encoding},
        {"threshold", s.data.threshold},
        {"train_examples", s.data.train_examples},
        {"test_examples", s.data.test_examples},
        {"seed", s.data.seed}}},
      {"model",
       {{"total_layers", s.model.total_layers},
        {"readout_qubit", s.model.readout_qubit},
        {"readout", resolved_readout(s)},
        {"loss", s.model.loss},
        {"precision", s.model.precision}}},
      {"optimizer",
       {{"batch_size", s.train.batch_size},
        {"beta1", s.train.beta1},
        {"beta2", s.train.beta2},
        {"epsilon", s.train.epsilon}}},
  };
  if (strategy == "ll") {
    j["schedule"] = {
        {"start_layers", s.ll.start_layers},
        {"layers_per_step", s.ll.layers_per_step},
        {"max_trained_layers", s.ll.max_trained_layers},
        {"epochs_per_step", s.ll.epochs_per_step},
        {"partition_fraction", s.ll.partition_fraction},
        {"epochs_per_partition", s.ll.epochs_per_partition},
        {"max_sweeps", s.ll.max_sweeps},
        {"min_improvement", s.ll.min_improvement}};
  } else {
    j["schedule"] = {{"epochs", s.cdl.epochs}};
    if (s.cdl.init != "zero") {
      j["schedule"]["init"] =
          s.cdl.init;  // absent for zero: ids of zero-init tasks stay as they were
    }
  }
  return j;
}

sweep::NumericArray series(const std::vector<CurvePoint>& curve, double (*get)(const CurvePoint&)) {
  sweep::NumericArray a{{curve.size()}, {}};
  a.values.reserve(curve.size());
  for (const CurvePoint& p : curve) {
    a.values.push_back(get(p));
  }
  return a;
}

}  // namespace

sweep::TaskDescription LayerwiseKernel::describe(const nlohmann::json& point) const {
  static const std::set<std::string> kKeys = {"strategy", "lr", "seed", "shots"};
  if (!point.is_object()) {
    throw ConfigError("a grid point must be a map of parameters");
  }
  for (const auto& item : point.items()) {
    if (kKeys.count(item.key()) == 0) {
      throw ConfigError(
          fmt::format("unknown grid key '{}' (strategy, lr, seed, shots)", item.key()));
    }
  }
  std::string strategy = "ll";
  if (point.contains("strategy")) {
    strategy = point["strategy"].is_string() ? point["strategy"].get<std::string>()
                                             : point["strategy"].dump();
    if (strategy != "ll" && strategy != "cdl") {
      throw ConfigError(fmt::format("strategy = {} (must be ll or cdl)", strategy));
    }
  }
  double lr = setup_.train.lr;
  if (point.contains("lr")) {
    if (!point["lr"].is_number() || !std::isfinite(point["lr"].get<double>()) ||
        point["lr"].get<double>() <= 0) {
      throw ConfigError(fmt::format("lr = {} (must be a number > 0)", point["lr"].dump()));
    }
    lr = point["lr"].get<double>();
  }
  auto count = [&](const char* key, std::int64_t fallback) {
    if (!point.contains(key)) {
      return fallback;
    }
    if (!point[key].is_number_integer() || point[key].get<std::int64_t>() < 0) {
      throw ConfigError(fmt::format("{} = {} (must be an integer >= 0)", key, point[key].dump()));
    }
    return point[key].get<std::int64_t>();
  };
  const std::int64_t seed = count("seed", 0);
  const std::int64_t shots = count("shots", setup_.model.shots);

  const int qubits = qubits_of(setup_);
  if (resolved_readout(setup_) >= qubits) {
    throw ConfigError(fmt::format(
        "model.readout = {} (must be one of the {} qubits: 0..{})",
        setup_.model.readout,
        qubits,
        qubits - 1));
  }
  if (strategy == "ll") {
    (void)layerwise_phase1(
        setup_.ll, setup_.model.total_layers);  // throws ConfigError for an impossible schedule
  }
  nlohmann::json params = {
      {"strategy", strategy},
      {"lr", lr},
      {"seed", seed},
      {"shots", shots},
      {"setup", setup_json(setup_, strategy)}};
  return {params, "", params};
}

sweep::TaskLimits LayerwiseKernel::limits(
    const sweep::TaskDescription& /*task*/, const sweep::TaskLimits& /*configured*/) const {
  return {1, 0, 1, 1};
}

RunPoint LayerwiseKernel::point(const nlohmann::json& params) {
  return {
      params.at("strategy").get<std::string>(),
      params.at("lr").get<double>(),
      params.at("seed").get<std::uint64_t>(),
      params.at("shots").get<std::int64_t>()};
}

const ImagePair& LayerwiseKernel::data() {
  if (!data_) {
    data_ = std::make_unique<ImagePair>(load_image_pair(setup_.data));
  }
  return *data_;
}

sweep::ChunkResult LayerwiseKernel::run_chunk(const sweep::Task& task, const sweep::Chunk& chunk) {
  const RunPoint p = point(task.description.params);
  const LayerwiseSetup& s = setup_;
  const QnnModel model(qubits_of(s), s.model.total_layers, resolved_readout(s), p.seed);
  TrainerOptions options;
  options.loss = s.model.loss;
  options.shots = p.shots;
  options.batch_size = s.train.batch_size;
  options.adam = {p.lr, s.train.beta1, s.train.beta2, s.train.epsilon};
  options.encoding = s.data.encoding;
  options.threshold = s.data.threshold;
  options.extra_readout = s.model.readout_qubit == "extra";
  options.single_precision = s.model.precision == "c64";
  QnnTrainer trainer(data(), model, options, chunk.seed);
  if (p.strategy == "ll") {
    trainer.start(std::min(s.ll.start_layers, s.model.total_layers));
    run_layerwise(trainer, s.ll, s.model.total_layers);
  } else {
    if (s.cdl.init == "random") {
      runtime::Rng rng(p.seed ^ 0xC0FFEE5EED5EEDull);
      for (double& theta : trainer.parameters()) {
        theta = 2 * std::numbers::pi * static_cast<double>(rng.next() >> 11) * 0x1.0p-53;
      }
    }
    trainer.start(s.model.total_layers);
    run_complete_depth(trainer, s.cdl, s.model.total_layers);
  }

  const std::vector<CurvePoint>& curve = trainer.curve();
  sweep::ChunkResult r;
  r.counts.shots = 1;
  r.counts.custom["executions"] = trainer.executions();
  r.counts.custom["epochs"] = curve.back().epoch;
  r.arrays["epoch"] =
      series(curve, [](const CurvePoint& c) { return static_cast<double>(c.epoch); });
  r.arrays["phase"] =
      series(curve, [](const CurvePoint& c) { return static_cast<double>(c.phase); });
  r.arrays["depth"] =
      series(curve, [](const CurvePoint& c) { return static_cast<double>(c.depth); });
  r.arrays["trained_parameters"] =
      series(curve, [](const CurvePoint& c) { return static_cast<double>(c.trained); });
  r.arrays["train_loss"] = series(curve, [](const CurvePoint& c) { return c.train_loss; });
  r.arrays["test_error"] = series(curve, [](const CurvePoint& c) { return c.test_error; });
  r.arrays["test_error_exact"] =
      series(curve, [](const CurvePoint& c) { return c.test_error_exact; });
  r.arrays["executions"] =
      series(curve, [](const CurvePoint& c) { return static_cast<double>(c.executions); });
  r.arrays["parameters"] = {{trainer.parameters().size()}, trainer.parameters()};
  return r;
}

}  // namespace tessera::jobs::layerwise
