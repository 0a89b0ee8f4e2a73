#include "jobs/quantum/gate_fuser.h"

#include <algorithm>

#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

// Position of each of gate's qubits in `qubits`, as the bit of the combined
// matrix index (qubits[0] is the most significant bit).
std::vector<int> bit_positions(const UnitaryGate& gate, const std::vector<int>& qubits) {
  const int k = static_cast<int>(qubits.size());
  std::vector<int> bits;
  for (int q : gate.qubits) {
    auto it = std::find(qubits.begin(), qubits.end(), q);
    TESSERA_CHECK(it != qubits.end(), "gate '{}' qubit {} is not among the fused qubits", gate.name, q);
    bits.push_back(k - 1 - static_cast<int>(it - qubits.begin()));
  }
  return bits;
}

// m <- G m, with G (a gate on some of the qubits) embedded in the full space.
void left_multiply(std::vector<Complex>& m, int dim, const UnitaryGate& gate, const std::vector<int>& bits) {
  const int g = gate.arity();
  const int gdim = 1 << g;
  int gate_mask = 0;
  for (int b : bits) {
    gate_mask |= 1 << b;
  }
  // Gate index of a full index: qubits[0] of the gate is its most significant bit.
  auto sub = [&](int index) {
    int s = 0;
    for (int t = 0; t < g; ++t) {
      s |= ((index >> bits[t]) & 1) << (g - 1 - t);
    }
    return s;
  };
  auto place = [&](int rest, int s) {
    int index = rest;
    for (int t = 0; t < g; ++t) {
      index |= ((s >> (g - 1 - t)) & 1) << bits[t];
    }
    return index;
  };
  std::vector<Complex> out(m.size());
  for (int row = 0; row < dim; ++row) {
    const int rest = row & ~gate_mask;
    const int gr = sub(row);
    for (int gc = 0; gc < gdim; ++gc) {
      const Complex coefficient = gate.at(gr, gc);
      if (coefficient == Complex{}) {
        continue;
      }
      const int mid = place(rest, gc);
      for (int col = 0; col < dim; ++col) {
        out[static_cast<std::size_t>(row * dim + col)] += coefficient * m[static_cast<std::size_t>(mid * dim + col)];
      }
    }
  }
  m.swap(out);
}

}  // namespace

UnitaryGate combine_gates(std::span<const UnitaryGate> gates, std::vector<int> qubits) {
  const int k = static_cast<int>(qubits.size());
  TESSERA_CHECK(k >= 1 && k <= kMaxGateQubits, "combining gates on {} qubits", k);
  const int dim = 1 << k;
  std::vector<Complex> m(static_cast<std::size_t>(dim * dim));
  for (int i = 0; i < dim; ++i) {
    m[static_cast<std::size_t>(i * dim + i)] = 1.0;
  }
  for (const UnitaryGate& gate : gates) {
    left_multiply(m, dim, gate, bit_positions(gate, qubits));
  }
  return UnitaryGate{std::move(qubits), std::move(m), "fused"};
}

UnitaryCircuit fuse_gates(const UnitaryCircuit& circuit, const FusionOptions& options) {
  TESSERA_CHECK(options.max_fused_qubits >= 1 && options.max_fused_qubits <= kMaxGateQubits,
                "max_fused_qubits = {} (must be in [1, {}])", options.max_fused_qubits, kMaxGateQubits);
  struct Block {
    std::vector<int> qubits;       // ascending
    std::vector<std::size_t> members;
  };
  std::vector<Block> blocks;
  std::vector<int> last(static_cast<std::size_t>(circuit.num_qubits), -1);  // latest block per qubit
  for (std::size_t i = 0; i < circuit.gates.size(); ++i) {
    const UnitaryGate& gate = circuit.gates[i];
    check_gate(gate, circuit.num_qubits);
    int target = -1;
    for (int q : gate.qubits) {
      target = std::max(target, last[static_cast<std::size_t>(q)]);
    }
    std::vector<int> merged;
    if (target >= 0) {
      merged = blocks[static_cast<std::size_t>(target)].qubits;
      for (int q : gate.qubits) {
        if (std::find(merged.begin(), merged.end(), q) == merged.end()) {
          merged.push_back(q);
        }
      }
    }
    if (target < 0 || static_cast<int>(merged.size()) > std::max(options.max_fused_qubits, gate.arity())) {
      target = static_cast<int>(blocks.size());
      merged = gate.qubits;
      blocks.emplace_back();
    }
    std::sort(merged.begin(), merged.end());
    Block& block = blocks[static_cast<std::size_t>(target)];
    block.qubits = std::move(merged);
    block.members.push_back(i);
    for (int q : gate.qubits) {
      last[static_cast<std::size_t>(q)] = target;
    }
  }

  UnitaryCircuit fused{circuit.num_qubits, {}};
  fused.gates.reserve(blocks.size());
  for (const Block& block : blocks) {
    if (block.members.size() == 1) {
      fused.gates.push_back(circuit.gates[block.members.front()]);
      continue;
    }
    std::vector<UnitaryGate> members;
    for (std::size_t m : block.members) {
      members.push_back(circuit.gates[m]);
    }
    fused.gates.push_back(combine_gates(members, block.qubits));
  }
  return fused;
}

}  // namespace tessera::jobs::quantum
