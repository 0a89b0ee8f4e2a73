#include "jobs/quantum/stabilizer_circuit.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

struct GateInfo {
  Gate gate;
  std::string_view name;
};

constexpr GateInfo kGates[] = {
    {Gate::kR, "R"},
    {Gate::kRX, "RX"},
    {Gate::kM, "M"},
    {Gate::kMX, "MX"},
    {Gate::kMR, "MR"},
    {Gate::kMRX, "MRX"},
    {Gate::kH, "H"},
    {Gate::kCX, "CX"},
    {Gate::kXError, "X_ERROR"},
    {Gate::kZError, "Z_ERROR"},
    {Gate::kDepolarize1, "DEPOLARIZE1"},
    {Gate::kDepolarize2, "DEPOLARIZE2"},
    {Gate::kDetector, "DETECTOR"},
    {Gate::kObservableInclude, "OBSERVABLE_INCLUDE"},
    {Gate::kShiftCoords, "SHIFT_COORDS"},
    {Gate::kQubitCoords, "QUBIT_COORDS"},
    {Gate::kTick, "TICK"},
    {Gate::kRepeat, "REPEAT"},
};

bool is_measurement(Gate gate) {
  return gate == Gate::kM || gate == Gate::kMX || gate == Gate::kMR || gate == Gate::kMRX;
}

std::string format_args(const std::vector<double>& args) {
  if (args.empty()) {
    return {};
  }
  std::string out = "(";
  for (std::size_t i = 0; i < args.size(); ++i) {
    out += i == 0 ? "" : ", ";
    out += fmt::format("{}", args[i]);
  }
  return out + ")";
}

[[noreturn]] void bad(std::string_view what) { throw ConfigError(std::string(what)); }

// Walks the circuit with loops multiplied out, calling `f(instruction, repeat)`
// once per instruction of every block with the number of times it executes.
template <class F>
void for_each_weighted(const StabilizerCircuit& circuit, std::uint64_t times, F&& f) {
  for (const Instruction& in : circuit.instructions()) {
    if (in.gate == Gate::kRepeat) {
      for_each_weighted(circuit.block(in.block), times * in.repeat, f);
    } else {
      f(in, times);
    }
  }
}

}  // namespace

std::string_view gate_name(Gate gate) {
  for (const GateInfo& info : kGates) {
    if (info.gate == gate) {
      return info.name;
    }
  }
  return "?";
}

std::optional<Gate> gate_from_name(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  if (upper == "CNOT" || upper == "ZCX") {
    return Gate::kCX;
  }
  for (const GateInfo& info : kGates) {
    if (info.name == upper) {
      return info.gate;
    }
  }
  return std::nullopt;
}

bool takes_record_targets(Gate gate) {
  return gate == Gate::kDetector || gate == Gate::kObservableInclude;
}

bool is_noise(Gate gate) {
  return gate == Gate::kXError || gate == Gate::kZError || gate == Gate::kDepolarize1 ||
         gate == Gate::kDepolarize2;
}

void StabilizerCircuit::append(Gate gate, std::vector<std::uint32_t> targets, std::vector<double> args) {
  const std::string_view name = gate_name(gate);
  if (gate == Gate::kRepeat) {
    bad("REPEAT is appended with append_repeat");
  }
  if (gate == Gate::kCX || gate == Gate::kDepolarize2) {
    if (targets.size() % 2 != 0) {
      bad(fmt::format("{} needs an even number of targets (pairs), got {}", name, targets.size()));
    }
    for (std::size_t i = 0; i < targets.size(); i += 2) {
      if (targets[i] == targets[i + 1]) {
        bad(fmt::format("{} pair {} {} acts twice on one qubit", name, targets[i], targets[i + 1]));
      }
    }
  }
  if (is_noise(gate)) {
    const double limit = gate == Gate::kDepolarize1 ? 0.75 : gate == Gate::kDepolarize2 ? 15.0 / 16 : 1.0;
    if (args.size() != 1 || !(args[0] >= 0 && args[0] <= limit)) {
      bad(fmt::format("{} takes one probability in [0, {}]", name, limit));
    }
  } else if (gate == Gate::kObservableInclude) {
    if (args.size() != 1 || args[0] < 0 || args[0] != std::floor(args[0]) || args[0] > 63) {
      bad("OBSERVABLE_INCLUDE takes one observable index in 0..63");
    }
  } else if (gate != Gate::kDetector && gate != Gate::kShiftCoords && gate != Gate::kQubitCoords &&
             !args.empty()) {
    bad(fmt::format("{} takes no arguments", name));
  }
  if (takes_record_targets(gate)) {
    for (std::uint32_t k : targets) {
      if (k == 0) {
        bad(fmt::format("{}: rec[-0] is not a measurement (look-backs start at rec[-1])", name));
      }
    }
  }
  instructions_.push_back(Instruction{gate, std::move(args), std::move(targets), 0, 0});
}

void StabilizerCircuit::append_repeat(std::uint64_t count, StabilizerCircuit body) {
  if (count == 0) {
    bad("REPEAT 0 is not allowed");
  }
  blocks_.push_back(std::move(body));
  instructions_.push_back(Instruction{Gate::kRepeat, {}, {}, count, blocks_.size() - 1});
}

std::uint32_t StabilizerCircuit::num_qubits() const {
  std::uint32_t n = 0;
  for_each_weighted(*this, 1, [&n](const Instruction& in, std::uint64_t) {
    if (!takes_record_targets(in.gate)) {
      for (std::uint32_t q : in.targets) {
        n = std::max(n, q + 1);
      }
    }
  });
  return n;
}

std::uint64_t StabilizerCircuit::num_measurements() const {
  std::uint64_t n = 0;
  for_each_weighted(*this, 1, [&n](const Instruction& in, std::uint64_t times) {
    if (is_measurement(in.gate)) {
      n += times * in.targets.size();
    }
  });
  return n;
}

std::uint64_t StabilizerCircuit::num_detectors() const {
  std::uint64_t n = 0;
  for_each_weighted(*this, 1, [&n](const Instruction& in, std::uint64_t times) {
    n += in.gate == Gate::kDetector ? times : 0;
  });
  return n;
}

std::uint32_t StabilizerCircuit::num_observables() const {
  std::uint32_t n = 0;
  for_each_weighted(*this, 1, [&n](const Instruction& in, std::uint64_t) {
    if (in.gate == Gate::kObservableInclude) {
      n = std::max(n, static_cast<std::uint32_t>(in.args[0]) + 1);
    }
  });
  return n;
}

std::uint32_t StabilizerCircuit::max_lookback() const {
  std::uint32_t n = 0;
  for_each_weighted(*this, 1, [&n](const Instruction& in, std::uint64_t) {
    if (takes_record_targets(in.gate)) {
      for (std::uint32_t k : in.targets) {
        n = std::max(n, k);
      }
    }
  });
  return n;
}

void StabilizerCircuit::write(std::string& out, int indent) const {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  for (const Instruction& in : instructions_) {
    if (in.gate == Gate::kRepeat) {
      out += fmt::format("{}REPEAT {} {{\n", pad, in.repeat);
      blocks_[in.block].write(out, indent + 4);
      out += pad + "}\n";
      continue;
    }
    out += pad;
    out += gate_name(in.gate);
    out += format_args(in.args);
    for (std::uint32_t t : in.targets) {
      out += takes_record_targets(in.gate) ? fmt::format(" rec[-{}]", t) : fmt::format(" {}", t);
    }
    out += '\n';
  }
}

std::string StabilizerCircuit::to_stim() const {
  std::string out;
  write(out, 0);
  return out;
}

bool StabilizerCircuit::operator==(const StabilizerCircuit& other) const {
  if (instructions_.size() != other.instructions_.size()) {
    return false;
  }
  for (std::size_t i = 0; i < instructions_.size(); ++i) {
    const Instruction& a = instructions_[i];
    const Instruction& b = other.instructions_[i];
    if (a.gate != b.gate || a.args != b.args || a.targets != b.targets || a.repeat != b.repeat) {
      return false;
    }
    if (a.gate == Gate::kRepeat && !(blocks_[a.block] == other.blocks_[b.block])) {
      return false;
    }
  }
  return true;
}

namespace {

struct Parser {
  std::string_view text;
  std::size_t line_no = 0;

  [[noreturn]] void fail(std::string_view line, std::string_view why) const {
    throw ConfigError(fmt::format("stim circuit line {}: '{}': {}", line_no, line, why));
  }

  static std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
      s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
      s.remove_suffix(1);
    }
    return s;
  }

  bool next_line(std::string_view& line) {
    while (!text.empty()) {
      std::size_t end = text.find('\n');
      std::string_view raw = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
      ++line_no;
      if (std::size_t hash = raw.find('#'); hash != std::string_view::npos) {
        raw = raw.substr(0, hash);
      }
      raw = trim(raw);
      if (!raw.empty()) {
        line = raw;
        return true;
      }
    }
    return false;
  }

  template <class T>
  T number(std::string_view line, std::string_view token) const {
    T value{};
    auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || ptr != token.data() + token.size()) {
      fail(line, fmt::format("'{}' is not a number", token));
    }
    return value;
  }

  // Parses lines until '}' (when `nested`) or the end of the text.
  StabilizerCircuit block(bool nested) {
    StabilizerCircuit circuit;
    std::string_view line;
    while (next_line(line)) {
      if (line == "}") {
        if (!nested) {
          fail(line, "'}' without a REPEAT block");
        }
        return circuit;
      }
      // Name, optional (args), targets.
      std::size_t name_end = 0;
      while (name_end < line.size() && (std::isalnum(static_cast<unsigned char>(line[name_end])) ||
                                        line[name_end] == '_')) {
        ++name_end;
      }
      std::string_view name = line.substr(0, name_end);
      std::string_view rest = trim(line.substr(name_end));
      std::optional<Gate> gate = gate_from_name(name);
      if (!gate) {
        fail(line, fmt::format("unsupported instruction '{}'", name));
      }
      if (*gate == Gate::kRepeat) {
        if (rest.empty() || rest.back() != '{') {
          fail(line, "expected 'REPEAT <count> {'");
        }
        auto count = number<std::uint64_t>(line, trim(rest.substr(0, rest.size() - 1)));
        StabilizerCircuit body = block(true);
        try {
          circuit.append_repeat(count, std::move(body));
        } catch (const ConfigError& e) {
          fail(line, e.what());
        }
        continue;
      }
      std::vector<double> args;
      if (!rest.empty() && rest.front() == '(') {
        std::size_t close = rest.find(')');
        if (close == std::string_view::npos) {
          fail(line, "missing ')'");
        }
        std::string_view inside = rest.substr(1, close - 1);
        while (!trim(inside).empty()) {
          std::size_t comma = inside.find(',');
          args.push_back(number<double>(line, trim(inside.substr(0, comma))));
          inside = comma == std::string_view::npos ? std::string_view() : inside.substr(comma + 1);
        }
        rest = trim(rest.substr(close + 1));
      }
      std::vector<std::uint32_t> targets;
      while (!rest.empty()) {
        std::size_t end = 0;
        while (end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[end]))) {
          ++end;
        }
        std::string_view token = rest.substr(0, end);
        rest = trim(rest.substr(end));
        if (takes_record_targets(*gate)) {
          if (token.size() < 7 || token.substr(0, 5) != "rec[-" || token.back() != ']') {
            fail(line, fmt::format("target '{}' is not rec[-k]", token));
          }
          targets.push_back(number<std::uint32_t>(line, token.substr(5, token.size() - 6)));
        } else {
          targets.push_back(number<std::uint32_t>(line, token));
        }
      }
      try {
        circuit.append(*gate, std::move(targets), std::move(args));
      } catch (const ConfigError& e) {
        fail(line, e.what());
      }
    }
    if (nested) {
      throw ConfigError(fmt::format("stim circuit: REPEAT block not closed by the end (line {})", line_no));
    }
    return circuit;
  }
};

}  // namespace

StabilizerCircuit StabilizerCircuit::from_stim(std::string_view text) {
  Parser parser{text};
  return parser.block(false);
}

}  // namespace tessera::jobs::quantum
