#include "tests/jobs/quantum/reference_propagation.h"

namespace tessera::jobs::quantum::testing {
namespace {

struct Walker {
  const std::map<std::size_t, unsigned>* faults = nullptr;
  std::vector<NoiseSite>* sites = nullptr;
  std::vector<int> x;
  std::vector<int> z;
  std::vector<int> record;
  Outcome out;
  std::size_t next_site = 0;

  void pauli(std::uint32_t q, unsigned code) {
    x[q] ^= code & 1;
    z[q] ^= (code >> 1) & 1;
  }

  void walk(const StabilizerCircuit& circuit) {
    for (const Instruction& in : circuit.instructions()) {
      const auto& t = in.targets;
      switch (in.gate) {
        case Gate::kRepeat:
          for (std::uint64_t r = 0; r < in.repeat; ++r) {
            walk(circuit.block(in.block));
          }
          break;
        case Gate::kR:
        case Gate::kRX:
          for (std::uint32_t q : t) {
            x[q] = z[q] = 0;
          }
          break;
        case Gate::kM:
        case Gate::kMR:
          for (std::uint32_t q : t) {
            record.push_back(x[q]);
            z[q] = 0;
            if (in.gate == Gate::kMR) {
              x[q] = 0;
            }
          }
          break;
        case Gate::kMX:
        case Gate::kMRX:
          for (std::uint32_t q : t) {
            record.push_back(z[q]);
            x[q] = 0;
            if (in.gate == Gate::kMRX) {
              z[q] = 0;
            }
          }
          break;
        case Gate::kH:
          for (std::uint32_t q : t) {
            std::swap(x[q], z[q]);
          }
          break;
        case Gate::kCX:
          for (std::size_t i = 0; i < t.size(); i += 2) {
            x[t[i + 1]] ^= x[t[i]];
            z[t[i]] ^= z[t[i + 1]];
          }
          break;
        case Gate::kXError:
        case Gate::kZError:
        case Gate::kDepolarize1:
        case Gate::kDepolarize2: {
          if (in.args[0] == 0) {
            break;
          }
          const std::size_t step = in.gate == Gate::kDepolarize2 ? 2 : 1;
          for (std::size_t i = 0; i < t.size(); i += step) {
            const std::size_t site = next_site++;
            if (sites != nullptr) {
              sites->push_back(NoiseSite{in.gate, in.args[0], t[i], step == 2 ? t[i + 1] : 0});
            }
            if (faults == nullptr) {
              continue;
            }
            auto it = faults->find(site);
            if (it == faults->end()) {
              continue;
            }
            unsigned code = it->second;
            if (in.gate == Gate::kDepolarize2) {
              pauli(t[i], code >> 2);
              pauli(t[i + 1], code & 3);
            } else {
              pauli(t[i], code);
            }
          }
          break;
        }
        case Gate::kDetector: {
          int v = 0;
          for (std::uint32_t k : t) {
            v ^= record[record.size() - k];
          }
          out.detectors.push_back(v);
          break;
        }
        case Gate::kObservableInclude: {
          int v = 0;
          for (std::uint32_t k : t) {
            v ^= record[record.size() - k];
          }
          out.observables ^= static_cast<std::uint64_t>(v) << static_cast<int>(in.args[0]);
          break;
        }
        default:
          break;
      }
    }
  }
};

}  // namespace

std::vector<NoiseSite> noise_sites(const StabilizerCircuit& circuit) {
  std::vector<NoiseSite> sites;
  Walker w;
  w.sites = &sites;
  w.x.assign(circuit.num_qubits(), 0);
  w.z.assign(circuit.num_qubits(), 0);
  w.walk(circuit);
  return sites;
}

Outcome propagate(const StabilizerCircuit& circuit, const std::map<std::size_t, unsigned>& faults) {
  Walker w;
  w.faults = &faults;
  w.x.assign(circuit.num_qubits(), 0);
  w.z.assign(circuit.num_qubits(), 0);
  w.walk(circuit);
  return w.out;
}

}  // namespace tessera::jobs::quantum::testing
