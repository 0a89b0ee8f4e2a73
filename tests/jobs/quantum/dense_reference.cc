#include "tests/jobs/quantum/dense_reference.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tessera::jobs::quantum::testing {

std::vector<Complex> random_unitary(int dim, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  const auto d = static_cast<std::size_t>(dim);
  std::vector<Complex> m(d * d);
  for (std::size_t row = 0; row < d; ++row) {
    std::vector<Complex> v(d);
    for (Complex& x : v) {
      x = Complex(normal(rng), normal(rng));
    }
    for (std::size_t prev = 0; prev < row; ++prev) {
      Complex dot = 0;
      for (std::size_t i = 0; i < d; ++i) {
        dot += std::conj(m[prev * d + i]) * v[i];
      }
      for (std::size_t i = 0; i < d; ++i) {
        v[i] -= dot * m[prev * d + i];
      }
    }
    double norm = 0;
    for (const Complex& x : v) {
      norm += std::norm(x);
    }
    for (std::size_t i = 0; i < d; ++i) {
      m[row * d + i] = v[i] / std::sqrt(norm);
    }
  }
  return m;
}

UnitaryGate random_gate(int num_qubits, int arity, std::mt19937_64& rng) {
  std::vector<int> qubits(static_cast<std::size_t>(num_qubits));
  std::iota(qubits.begin(), qubits.end(), 0);
  std::shuffle(qubits.begin(), qubits.end(), rng);
  qubits.resize(static_cast<std::size_t>(arity));
  return UnitaryGate{qubits, random_unitary(1 << arity, rng), "random"};
}

UnitaryCircuit random_circuit(int num_qubits, int gates, int max_arity, std::mt19937_64& rng) {
  UnitaryCircuit circuit{num_qubits, {}};
  std::uniform_int_distribution<int> arity(1, std::min(max_arity, num_qubits));
  for (int i = 0; i < gates; ++i) {
    circuit.add(random_gate(num_qubits, arity(rng), rng));
  }
  return circuit;
}

Dense random_state(int num_qubits, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  Dense psi(std::size_t{1} << num_qubits);
  double norm = 0;
  for (Complex& x : psi) {
    x = Complex(normal(rng), normal(rng));
    norm += std::norm(x);
  }
  for (Complex& x : psi) {
    x /= std::sqrt(norm);
  }
  return psi;
}

Dense basis_state(int num_qubits, std::uint64_t index) {
  Dense psi(std::size_t{1} << num_qubits);
  psi[index] = 1;
  return psi;
}

std::vector<Complex> dense_unitary(const UnitaryGate& gate, int num_qubits) {
  const std::size_t dim = std::size_t{1} << num_qubits;
  const int k = gate.arity();
  std::uint64_t mask = 0;
  for (int q : gate.qubits) {
    mask |= std::uint64_t{1} << q;
  }
  auto sub = [&](std::uint64_t index) {
    int s = 0;
    for (int t = 0; t < k; ++t) {
      s |= static_cast<int>((index >> gate.qubits[static_cast<std::size_t>(t)]) & 1) << (k - 1 - t);
    }
    return s;
  };
  std::vector<Complex> u(dim * dim);
  for (std::uint64_t i = 0; i < dim; ++i) {
    for (std::uint64_t j = 0; j < dim; ++j) {
      if ((i & ~mask) == (j & ~mask)) {
        u[i * dim + j] = gate.at(sub(i), sub(j));
      }
    }
  }
  return u;
}

Dense apply_dense(const UnitaryGate& gate, int num_qubits, Dense psi) {
  const std::vector<Complex> u = dense_unitary(gate, num_qubits);
  const std::size_t dim = psi.size();
  Dense out(dim);
  for (std::size_t i = 0; i < dim; ++i) {
    for (std::size_t j = 0; j < dim; ++j) {
      out[i] += u[i * dim + j] * psi[j];
    }
  }
  return out;
}

Dense apply_dense(const UnitaryCircuit& circuit, Dense psi) {
  for (const UnitaryGate& gate : circuit.gates) {
    psi = apply_dense(gate, circuit.num_qubits, std::move(psi));
  }
  return psi;
}

double max_distance(const Dense& a, const Dense& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return a.size() == b.size() ? worst : INFINITY;
}

}  // namespace tessera::jobs::quantum::testing
