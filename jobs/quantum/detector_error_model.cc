#include "jobs/quantum/detector_error_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "jobs/quantum/frame_engine.h"
#include "runtime/rng.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

using detail::Frame;
using detail::Program;
using detail::Track;

std::uint32_t outcomes(Gate gate) {
  switch (gate) {
    case Gate::kDepolarize1:
      return 3;
    case Gate::kDepolarize2:
      return 15;
    default:
      return 1;
  }
}

std::uint32_t arity(Gate gate) { return gate == Gate::kDepolarize2 ? 2 : 1; }

double mechanism_probability(const detail::NoiseChannel& ch) {
  switch (ch.gate) {
    case Gate::kDepolarize1:
      return depolarize1_independent_probability(ch.probability);
    case Gate::kDepolarize2:
      return depolarize2_independent_probability(ch.probability);
    default:
      return ch.probability;
  }
}

// No noise; the conjugate component after a measurement or reset is random,
// so a detector that depends on it shows up as firing.
class NoiselessCheck {
 public:
  explicit NoiselessCheck(std::uint64_t seed) : rng_(seed) {}
  void begin(std::size_t) {}
  void apply(std::uint32_t, std::span<const std::uint32_t>, Frame&) {}
  void randomize(std::uint64_t* row, std::size_t words) {
    for (std::size_t w = 0; w < words; ++w) {
      row[w] = rng_.next();
    }
  }

 private:
  runtime::Rng rng_;
};

// One fault per lane: sites [begin, end) of the global site order (noise
// instructions in execution order, then target group, then Pauli outcome).
// The conjugate component after a measurement or reset is dropped (it cannot
// change a deterministic detector).
class InjectFaults {
 public:
  InjectFaults(const Program& program, std::uint64_t begin, std::uint64_t end, std::vector<double>& lane_p)
      : program_(program), begin_(begin), end_(end), lane_p_(lane_p) {}

  void begin(std::size_t) { next_ = 0; }
  void randomize(std::uint64_t* row, std::size_t words) { std::fill(row, row + words, 0); }

  void apply(std::uint32_t channel, std::span<const std::uint32_t> targets, Frame& frame) {
    const detail::NoiseChannel& ch = program_.channels[channel];
    const std::uint32_t k = outcomes(ch.gate);
    const std::uint32_t a = arity(ch.gate);
    const std::uint64_t sites = targets.size() / a * k;
    const std::uint64_t lo = std::max(begin_, next_);
    const std::uint64_t hi = std::min(end_, next_ + sites);
    for (std::uint64_t s = lo; s < hi; ++s) {
      const std::uint64_t group = (s - next_) / k;
      const auto outcome = static_cast<unsigned>((s - next_) % k);
      const std::size_t lane = s - begin_;
      lane_p_[lane] = mechanism_probability(ch);
      switch (ch.gate) {
        case Gate::kXError:
          frame.flip_x(targets[group], lane);
          break;
        case Gate::kZError:
          frame.flip_z(targets[group], lane);
          break;
        case Gate::kDepolarize1:
          frame.apply(targets[group], lane, outcome + 1);
          break;
        case Gate::kDepolarize2:
          frame.apply(targets[2 * group], lane, (outcome + 1) >> 2);
          frame.apply(targets[2 * group + 1], lane, (outcome + 1) & 3);
          break;
        default:
          break;
      }
    }
    next_ += sites;
  }

 private:
  const Program& program_;
  std::uint64_t begin_;
  std::uint64_t end_;
  std::uint64_t next_ = 0;
  std::vector<double>& lane_p_;
};

std::uint64_t count_sites(const StabilizerCircuit& circuit, std::uint64_t times) {
  std::uint64_t n = 0;
  for (const Instruction& in : circuit.instructions()) {
    if (in.gate == Gate::kRepeat) {
      n += count_sites(circuit.block(in.block), times * in.repeat);
    } else if (is_noise(in.gate) && in.args[0] > 0) {
      n += times * (in.targets.size() / arity(in.gate)) * outcomes(in.gate);
    }
  }
  return n;
}

void collect_coordinates(const StabilizerCircuit& circuit, std::vector<double>& shift,
                         std::vector<std::vector<double>>& out) {
  for (const Instruction& in : circuit.instructions()) {
    if (in.gate == Gate::kRepeat) {
      for (std::uint64_t r = 0; r < in.repeat; ++r) {
        collect_coordinates(circuit.block(in.block), shift, out);
      }
    } else if (in.gate == Gate::kShiftCoords) {
      shift.resize(std::max(shift.size(), in.args.size()), 0.0);
      for (std::size_t i = 0; i < in.args.size(); ++i) {
        shift[i] += in.args[i];
      }
    } else if (in.gate == Gate::kDetector) {
      std::vector<double> c = in.args;
      for (std::size_t i = 0; i < c.size() && i < shift.size(); ++i) {
        c[i] += shift[i];
      }
      out.push_back(std::move(c));
    }
  }
}

std::string format_coords(const std::vector<double>& c) {
  std::string out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    out += fmt::format("{}{}", i == 0 ? "" : ", ", c[i]);
  }
  return out;
}

}  // namespace

double depolarize1_independent_probability(double p) { return 0.5 - 0.5 * std::sqrt(1 - 4 * p / 3); }

double depolarize2_independent_probability(double p) {
  return 0.5 - 0.5 * std::pow(1 - 16 * p / 15, 0.125);
}

DetectorErrorModel::DetectorErrorModel(std::uint64_t num_detectors, std::uint32_t num_observables,
                                       std::vector<ErrorMechanism> mechanisms,
                                       std::vector<std::vector<double>> detector_coordinates)
    : num_detectors_(num_detectors),
      num_observables_(num_observables),
      mechanisms_(std::move(mechanisms)),
      coordinates_(std::move(detector_coordinates)) {
  coordinates_.resize(num_detectors_);
  std::sort(mechanisms_.begin(), mechanisms_.end(), [](const ErrorMechanism& a, const ErrorMechanism& b) {
    return std::tie(a.detectors, a.observables) < std::tie(b.detectors, b.observables);
  });
}

DetectorErrorModel DetectorErrorModel::from_circuit(const StabilizerCircuit& circuit) {
  const Program program = detail::compile(circuit);
  std::vector<std::vector<double>> coordinates;
  std::vector<double> shift;
  collect_coordinates(circuit, shift, coordinates);
  DetectionEvents events;

  {  // Every detector and observable must be deterministic without noise.
    NoiselessCheck check(0x5EEDull);
    detail::FrameEngine<Track::kBoth, NoiselessCheck> engine(program, 4);
    engine.run(256, check, events);
    if (!events.detectors.empty()) {
      const std::uint32_t d = *std::min_element(events.detectors.begin(), events.detectors.end());
      throw ConfigError(fmt::format(
          "detector D{} ({}) is not deterministic: it fires without noise, so it compares "
          "measurements whose noiseless results are random",
          d, d < coordinates.size() ? format_coords(coordinates[d]) : ""));
    }
    for (std::uint64_t obs : events.observables) {
      if (obs != 0) {
        throw ConfigError(fmt::format("observable L{} is not deterministic without noise",
                                      __builtin_ctzll(obs)));
      }
    }
  }

  const std::uint64_t sites = count_sites(circuit, 1);
  const std::size_t words = static_cast<std::size_t>(std::clamp<std::uint64_t>((sites + 63) / 64, 1, 256));
  const std::uint64_t lanes = words * 64;
  std::vector<double> lane_p(lanes, 0.0);
  std::unordered_map<std::string, double> merged;
  std::string key;
  for (std::uint64_t begin = 0; begin < sites; begin += lanes) {
    const std::uint64_t end = std::min(sites, begin + lanes);
    InjectFaults faults(program, begin, end, lane_p);
    detail::FrameEngine<Track::kBoth, InjectFaults> engine(program, words);
    engine.run(static_cast<std::size_t>(end - begin), faults, events);
    for (std::size_t lane = 0; lane < end - begin; ++lane) {
      std::span<const std::uint32_t> fired = events.fired(lane);
      const std::uint64_t obs = events.observables[lane];
      if (fired.empty() && obs == 0) {
        continue;
      }
      key.assign(reinterpret_cast<const char*>(&obs), sizeof obs);
      key.append(reinterpret_cast<const char*>(fired.data()), fired.size_bytes());
      const double p = lane_p[lane];
      auto [it, inserted] = merged.try_emplace(key, p);
      if (!inserted) {
        it->second = it->second * (1 - p) + p * (1 - it->second);
      }
    }
  }

  std::vector<ErrorMechanism> mechanisms;
  mechanisms.reserve(merged.size());
  for (const auto& [k, p] : merged) {
    ErrorMechanism m;
    m.probability = p;
    std::memcpy(&m.observables, k.data(), sizeof m.observables);
    m.detectors.resize((k.size() - sizeof m.observables) / sizeof(std::uint32_t));
    std::memcpy(m.detectors.data(), k.data() + sizeof m.observables, m.detectors.size() * sizeof(std::uint32_t));
    mechanisms.push_back(std::move(m));
  }
  return DetectorErrorModel(program.num_detectors, program.num_observables, std::move(mechanisms),
                            std::move(coordinates));
}

std::vector<double> DetectorErrorModel::detector_probabilities() const {
  std::vector<double> even(num_detectors_, 1.0);  // prod (1 - 2 p_i)
  for (const ErrorMechanism& m : mechanisms_) {
    for (std::uint32_t d : m.detectors) {
      even[d] *= 1 - 2 * m.probability;
    }
  }
  for (double& v : even) {
    v = (1 - v) / 2;
  }
  return even;
}

double DetectorErrorModel::observable_probability(std::uint32_t observable) const {
  double even = 1.0;
  for (const ErrorMechanism& m : mechanisms_) {
    if ((m.observables >> observable) & 1) {
      even *= 1 - 2 * m.probability;
    }
  }
  return (1 - even) / 2;
}

std::string DetectorErrorModel::to_stim() const {
  std::string out;
  for (const ErrorMechanism& m : mechanisms_) {
    out += fmt::format("error({})", m.probability);
    for (std::uint32_t d : m.detectors) {
      out += fmt::format(" D{}", d);
    }
    for (std::uint32_t k = 0; k < 64; ++k) {
      if ((m.observables >> k) & 1) {
        out += fmt::format(" L{}", k);
      }
    }
    out += '\n';
  }
  for (std::uint64_t d = 0; d < num_detectors_; ++d) {
    if (!coordinates_[d].empty()) {
      out += fmt::format("detector({}) D{}\n", format_coords(coordinates_[d]), d);
    }
  }
  return out;
}

}  // namespace tessera::jobs::quantum
