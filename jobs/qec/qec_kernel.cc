#include "jobs/qec/qec_kernel.h"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace tessera::jobs::qec {
namespace {

constexpr const char* kKnobs[] = {"after_clifford_depolarization", "before_measure_flip_probability",
                                  "after_reset_flip_probability", "before_round_data_depolarization"};

std::int64_t integer(const nlohmann::json& point, const char* key) {
  const nlohmann::json& v = point.at(key);
  if (!v.is_number_integer()) {
    throw ConfigError(fmt::format("{} = {} (must be an integer)", key, v.dump()));
  }
  return v.get<std::int64_t>();
}

double probability(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number()) {
    throw ConfigError(fmt::format("{} = {} (must be a probability)", key, v.dump()));
  }
  const double p = v.get<double>();
  if (!(p >= 0 && p <= 0.5)) {
    throw ConfigError(fmt::format("{} = {} (must be in [0, 0.5])", key, p));
  }
  return p;
}

}  // namespace

QecPoint qec_point(const nlohmann::json& params) {
  QecPoint q;
  q.code.distance = static_cast<int>(params.at("distance").get<std::int64_t>());
  q.code.rounds = static_cast<int>(params.at("rounds").get<std::int64_t>());
  q.code.basis = params.at("basis").get<std::string>() == "x" ? quantum::Basis::kX : quantum::Basis::kZ;
  q.code.noise.after_clifford_depolarization = params.at(kKnobs[0]).get<double>();
  q.code.noise.before_measure_flip_probability = params.at(kKnobs[1]).get<double>();
  q.code.noise.after_reset_flip_probability = params.at(kKnobs[2]).get<double>();
  q.code.noise.before_round_data_depolarization = params.at(kKnobs[3]).get<double>();
  q.decoder = params.at("decoder").get<std::string>();
  return q;
}

sweep::TaskDescription QecKernel::describe(const nlohmann::json& point) const {
  static const std::set<std::string> known{"distance", "rounds", "p", "basis", "decoder", kKnobs[0], kKnobs[1],
                                           kKnobs[2], kKnobs[3]};
  for (const auto& [key, value] : point.items()) {
    if (known.count(key) == 0) {
      throw ConfigError(fmt::format("unknown parameter '{}' (known: {})", key, fmt::join(known, ", ")));
    }
  }
  for (const char* key : {"distance", "rounds"}) {
    if (!point.contains(key)) {
      throw ConfigError(fmt::format("'{}' is required", key));
    }
  }
  const std::int64_t d = integer(point, "distance");
  const std::int64_t r = integer(point, "rounds");
  if (d < 2 || d > 1000) {
    throw ConfigError(fmt::format("distance = {} (must be in [2, 1000])", d));
  }
  if (r < 1 || r > 1000000) {
    throw ConfigError(fmt::format("rounds = {} (must be in [1, 1000000])", r));
  }
  const double p = point.contains("p") ? probability(point["p"], "p") : 0.0;
  nlohmann::json canonical = nlohmann::json::object();
  canonical["distance"] = d;
  canonical["rounds"] = r;
  const std::string basis = point.value("basis", std::string("z"));
  if (basis != "z" && basis != "x") {
    throw ConfigError(fmt::format("basis = {} (must be z or x)", basis));
  }
  canonical["basis"] = basis;
  const std::string decoder = point.value("decoder", std::string("mwpm"));
  bool known_decoder = false;
  for (std::string_view name : quantum::decoder_names()) {
    known_decoder = known_decoder || name == decoder;
  }
  if (!known_decoder) {
    throw ConfigError(fmt::format("decoder = {} (must be one of: {})", decoder, fmt::join(quantum::decoder_names(), ", ")));
  }
  canonical["decoder"] = decoder;
  std::set<double> values;
  for (const char* knob : kKnobs) {
    const double v = point.contains(knob) ? probability(point[knob], knob) : p;
    canonical[knob] = v;
    values.insert(v);
  }
  if (values.size() == 1) {
    canonical["p"] = *values.begin();
  }
  return {canonical, decoder, canonical};
}

MemoryExperiment& QecKernel::experiment(const sweep::Task& task) {
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (it->first == task.id) {
      cache_.splice(cache_.begin(), cache_, it);
      return *cache_.front().second;
    }
  }
  const QecPoint q = qec_point(task.description.params);
  cache_.emplace_front(task.id, std::make_unique<MemoryExperiment>(
                                    q.code, q.decoder, quantum::FrameSimulatorOptions{.batch_shots = batch_shots_}));
  if (cache_.size() > 8) {
    cache_.pop_back();
  }
  return *cache_.front().second;
}

sweep::ChunkResult QecKernel::run_chunk(const sweep::Task& task, const sweep::Chunk& chunk) {
  runtime::Rng rng(chunk.seed);
  const ShotCounts c = experiment(task).run(chunk.shots, rng);
  sweep::ChunkResult r;
  r.counts.shots = c.shots;
  r.counts.errors = c.errors;
  r.counts.custom["detection_events"] = c.detection_events;
  return r;
}

}  // namespace tessera::jobs::qec
