#include "jobs/quantum/frame_simulator.h"

#include <cmath>
#include <variant>

#include <fmt/format.h>

#include "jobs/quantum/frame_engine.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

using detail::Frame;
using detail::Program;
using detail::Track;

// Random Pauli noise with geometric skipping. One skip stream per distinct
// effective probability, carried across the instructions that share it.
class RandomNoise {
 public:
  RandomNoise(const Program& program, Track track) {
    for (const detail::NoiseChannel& ch : program.channels) {
      Compiled c;
      double p = ch.probability;
      switch (ch.gate) {
        case Gate::kXError:
          c.kind = track == Track::kZ ? Kind::kSkip : Kind::kFlipX;
          break;
        case Gate::kZError:
          c.kind = track == Track::kX ? Kind::kSkip : Kind::kFlipZ;
          break;
        case Gate::kDepolarize1:
          // Only X and Y (resp. Z and Y) move the tracked component.
          c.kind = track == Track::kBoth ? Kind::kDepolarize1
                   : track == Track::kX  ? Kind::kFlipX
                                         : Kind::kFlipZ;
          p = track == Track::kBoth ? p : p * 2.0 / 3.0;
          break;
        case Gate::kDepolarize2:
          // 12 of the 15 two-qubit Paulis move the tracked component, each of
          // its 3 non-trivial patterns with 4 of them.
          c.kind = track == Track::kBoth ? Kind::kDepolarize2
                   : track == Track::kX  ? Kind::kPairX
                                         : Kind::kPairZ;
          c.arity = 2;
          p = track == Track::kBoth ? p : p * 12.0 / 15.0;
          break;
        default:
          c.kind = Kind::kSkip;
      }
      if (c.kind != Kind::kSkip && p > 0) {
        c.stream = stream_for(std::min(p, 1.0));
      } else {
        c.kind = Kind::kSkip;
      }
      compiled_.push_back(c);
    }
  }

  void set_rng(runtime::Rng* rng) { rng_ = rng; }

  void begin(std::size_t lanes) {
    lanes_ = lanes;
    for (Stream& s : streams_) {
      s.remaining = rng_->geometric(s.log1m_p);
    }
  }

  void randomize(std::uint64_t* row, std::size_t words) {
    for (std::size_t w = 0; w < words; ++w) {
      row[w] = rng_->next();
    }
  }

  void apply(std::uint32_t channel, std::span<const std::uint32_t> targets, Frame& frame) {
    const Compiled& c = compiled_[channel];
    if (c.kind == Kind::kSkip) {
      return;
    }
    Stream& s = streams_[c.stream];
    const std::uint64_t total = targets.size() / c.arity * lanes_;
    std::uint64_t pos = s.remaining;
    while (pos < total) {
      const std::uint64_t group = pos / lanes_;
      const std::size_t lane = pos - group * lanes_;
      hit(c.kind, targets, group, lane, frame);
      pos += 1 + rng_->geometric(s.log1m_p);
    }
    s.remaining = pos - total;
  }

 private:
  enum class Kind : std::uint8_t { kSkip, kFlipX, kFlipZ, kDepolarize1, kDepolarize2, kPairX, kPairZ };
  struct Compiled {
    Kind kind = Kind::kSkip;
    std::uint32_t arity = 1;
    std::uint32_t stream = 0;
  };
  struct Stream {
    double p;
    double log1m_p;
    std::uint64_t remaining;
  };

  std::uint32_t stream_for(double p) {
    for (std::uint32_t i = 0; i < streams_.size(); ++i) {
      if (streams_[i].p == p) {
        return i;
      }
    }
    streams_.push_back(Stream{p, std::log1p(-p), 0});
    return static_cast<std::uint32_t>(streams_.size() - 1);
  }

  void hit(Kind kind, std::span<const std::uint32_t> t, std::uint64_t group, std::size_t lane,
           Frame& frame) {
    switch (kind) {
      case Kind::kFlipX:
        frame.flip_x(t[group], lane);
        break;
      case Kind::kFlipZ:
        frame.flip_z(t[group], lane);
        break;
      case Kind::kDepolarize1:
        frame.apply(t[group], lane, 1 + static_cast<unsigned>(rng_->below(3)));
        break;
      case Kind::kDepolarize2: {
        const auto pauli = 1 + static_cast<unsigned>(rng_->below(15));
        frame.apply(t[2 * group], lane, pauli >> 2);
        frame.apply(t[2 * group + 1], lane, pauli & 3);
        break;
      }
      case Kind::kPairX:
      case Kind::kPairZ: {
        const auto pattern = 1 + static_cast<unsigned>(rng_->below(3));
        const unsigned pauli = kind == Kind::kPairX ? 1 : 2;
        frame.apply(t[2 * group], lane, (pattern & 2) != 0 ? pauli : 0);
        frame.apply(t[2 * group + 1], lane, (pattern & 1) != 0 ? pauli : 0);
        break;
      }
      case Kind::kSkip:
        break;
    }
  }

  std::vector<Compiled> compiled_;
  std::vector<Stream> streams_;
  runtime::Rng* rng_ = nullptr;
  std::size_t lanes_ = 0;
};

Track choose_track(const Program& program, bool reduce) {
  if (!reduce || program.has_hadamard) {
    return Track::kBoth;
  }
  if (!program.has_x_basis) {
    return Track::kX;
  }
  if (!program.has_z_basis) {
    return Track::kZ;
  }
  return Track::kBoth;
}

}  // namespace

struct FrameSimulator::Impl {
  Program program;
  Track track;
  RandomNoise noise;
  std::variant<detail::FrameEngine<Track::kBoth, RandomNoise>, detail::FrameEngine<Track::kX, RandomNoise>,
               detail::FrameEngine<Track::kZ, RandomNoise>>
      engine;

  static auto make_engine(const Program& program, Track track, std::size_t words)
      -> decltype(engine) {
    switch (track) {
      case Track::kX:
        return detail::FrameEngine<Track::kX, RandomNoise>(program, words);
      case Track::kZ:
        return detail::FrameEngine<Track::kZ, RandomNoise>(program, words);
      case Track::kBoth:
        break;
    }
    return detail::FrameEngine<Track::kBoth, RandomNoise>(program, words);
  }

  Impl(Program p, Track t, std::size_t words)
      : program(std::move(p)), track(t), noise(program, track), engine(make_engine(program, track, words)) {}
};

FrameSimulator::FrameSimulator(const StabilizerCircuit& circuit, FrameSimulatorOptions options) {
  if (options.batch_shots == 0 || options.batch_shots % 64 != 0) {
    throw ConfigError(fmt::format("frame simulator batch of {} shots (must be a positive multiple of 64)",
                                  options.batch_shots));
  }
  Program program = detail::compile(circuit);
  const Track track = choose_track(program, options.reduce_frame);
  impl_ = std::make_unique<Impl>(std::move(program), track, options.batch_shots / 64);
}

FrameSimulator::~FrameSimulator() = default;
FrameSimulator::FrameSimulator(FrameSimulator&&) noexcept = default;
FrameSimulator& FrameSimulator::operator=(FrameSimulator&&) noexcept = default;

std::size_t FrameSimulator::batch_shots() const {
  return std::visit([](const auto& e) { return e.words() * 64; }, impl_->engine);
}

FrameMode FrameSimulator::mode() const {
  switch (impl_->track) {
    case Track::kX:
      return FrameMode::kXOnly;
    case Track::kZ:
      return FrameMode::kZOnly;
    case Track::kBoth:
      break;
  }
  return FrameMode::kFull;
}

std::uint64_t FrameSimulator::num_detectors() const { return impl_->program.num_detectors; }
std::uint32_t FrameSimulator::num_observables() const { return impl_->program.num_observables; }

void FrameSimulator::sample(std::size_t shots, runtime::Rng& rng, DetectionEvents& out) {
  TESSERA_CHECK(shots >= 1 && shots <= batch_shots(), "{} shots in a batch of {}", shots, batch_shots());
  impl_->noise.set_rng(&rng);
  std::visit([&](auto& e) { e.run(shots, impl_->noise, out); }, impl_->engine);
}

}  // namespace tessera::jobs::quantum
