#include "jobs/quantum/unitary_gate.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

constexpr Complex kI{0.0, 1.0};

UnitaryGate one_qubit(int q, std::string name, std::initializer_list<Complex> m) {
  return UnitaryGate{{q}, std::vector<Complex>(m), std::move(name)};
}

UnitaryGate two_qubit(int a, int b, std::string name, std::vector<Complex> m) {
  return UnitaryGate{{a, b}, std::move(m), std::move(name)};
}

}  // namespace

void check_gate(const UnitaryGate& gate, int num_qubits) {
  const int k = gate.arity();
  TESSERA_CHECK(k >= 1 && k <= kMaxGateQubits, "gate '{}' acts on {} qubits (1..{} allowed)", gate.name,
                k, kMaxGateQubits);
  for (int i = 0; i < k; ++i) {
    TESSERA_CHECK(gate.qubits[i] >= 0 && gate.qubits[i] < num_qubits,
                  "gate '{}' qubit {} outside [0, {})", gate.name, gate.qubits[i], num_qubits);
    for (int j = 0; j < i; ++j) {
      TESSERA_CHECK(gate.qubits[i] != gate.qubits[j], "gate '{}' repeats qubit {}", gate.name,
                    gate.qubits[i]);
    }
  }
  TESSERA_CHECK(gate.matrix.size() == static_cast<std::size_t>(gate.dimension() * gate.dimension()),
                "gate '{}' on {} qubits has {} matrix entries", gate.name, k, gate.matrix.size());
}

UnitaryGate adjoint(const UnitaryGate& gate) {
  UnitaryGate out = gate;
  const int d = gate.dimension();
  for (int r = 0; r < d; ++r) {
    for (int c = 0; c < d; ++c) {
      out.matrix[static_cast<std::size_t>(r * d + c)] = std::conj(gate.at(c, r));
    }
  }
  out.name = gate.name + "^dagger";
  return out;
}

bool conserves_number(const UnitaryGate& gate, double tolerance) {
  const int d = gate.dimension();
  for (int r = 0; r < d; ++r) {
    for (int c = 0; c < d; ++c) {
      if (std::popcount(static_cast<unsigned>(r)) != std::popcount(static_cast<unsigned>(c)) &&
          std::abs(gate.at(r, c)) > tolerance) {
        return false;
      }
    }
  }
  return true;
}

bool is_diagonal(const UnitaryGate& gate, double tolerance) {
  const int d = gate.dimension();
  for (int r = 0; r < d; ++r) {
    for (int c = 0; c < d; ++c) {
      if (r != c && std::abs(gate.at(r, c)) > tolerance) {
        return false;
      }
    }
  }
  return true;
}

UnitaryGate x_gate(int q) { return one_qubit(q, "x", {0, 1, 1, 0}); }
UnitaryGate y_gate(int q) { return one_qubit(q, "y", {0, -kI, kI, 0}); }
UnitaryGate z_gate(int q) { return one_qubit(q, "z", {1, 0, 0, -1}); }

UnitaryGate h_gate(int q) {
  const double s = 1.0 / std::sqrt(2.0);
  return one_qubit(q, "h", {s, s, s, -s});
}

UnitaryGate rx_gate(int q, double theta) {
  const double c = std::cos(theta / 2), s = std::sin(theta / 2);
  return one_qubit(q, "rx", {c, -kI * s, -kI * s, c});
}

UnitaryGate ry_gate(int q, double theta) {
  const double c = std::cos(theta / 2), s = std::sin(theta / 2);
  return one_qubit(q, "ry", {c, -s, s, c});
}

UnitaryGate rz_gate(int q, double theta) {
  return one_qubit(q, "rz", {std::polar(1.0, -theta / 2), 0, 0, std::polar(1.0, theta / 2)});
}

UnitaryGate phase_gate(int q, double phi) { return one_qubit(q, "phase", {1, 0, 0, std::polar(1.0, phi)}); }

UnitaryGate matrix_gate(int q, std::span<const Complex> matrix_2x2, std::string name) {
  TESSERA_CHECK(matrix_2x2.size() == 4, "a one-qubit matrix has 4 entries, not {}", matrix_2x2.size());
  return UnitaryGate{{q}, {matrix_2x2.begin(), matrix_2x2.end()}, std::move(name)};
}

UnitaryGate cz_gate(int a, int b) {
  return two_qubit(a, b, "cz", {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1});
}

UnitaryGate cnot_gate(int control, int target) {
  return two_qubit(control, target, "cnot", {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0});
}

UnitaryGate fsim_gate(int a, int b, double theta, double phi) {
  const Complex c = std::cos(theta), mis = -kI * std::sin(theta);
  return two_qubit(a, b, "fsim",
                   {1, 0, 0, 0, 0, c, mis, 0, 0, mis, c, 0, 0, 0, 0, std::polar(1.0, -phi)});
}

UnitaryGate matrix_gate(int a, int b, std::span<const Complex> matrix_4x4, std::string name) {
  TESSERA_CHECK(matrix_4x4.size() == 16, "a two-qubit matrix has 16 entries, not {}", matrix_4x4.size());
  return UnitaryGate{{a, b}, {matrix_4x4.begin(), matrix_4x4.end()}, std::move(name)};
}

void UnitaryCircuit::add(UnitaryGate gate) {
  check_gate(gate, num_qubits);
  gates.push_back(std::move(gate));
}

void UnitaryCircuit::append(const UnitaryCircuit& other) {
  TESSERA_CHECK(other.num_qubits == num_qubits, "appending a {}-qubit circuit to a {}-qubit one",
                other.num_qubits, num_qubits);
  gates.insert(gates.end(), other.gates.begin(), other.gates.end());
}

std::int64_t UnitaryCircuit::count_arity(int k) const {
  return std::count_if(gates.begin(), gates.end(), [k](const UnitaryGate& g) { return g.arity() == k; });
}

}  // namespace tessera::jobs::quantum
