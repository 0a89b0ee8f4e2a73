#include "jobs/layerwise/qnn_model.h"

#include <cmath>
#include <numbers>

#include "runtime/rng.h"
#include "runtime/error.h"

namespace tessera::jobs::layerwise {

QnnModel::QnnModel(int qubits, int total_layers, int readout, std::uint64_t seed)
    : qubits_(qubits), total_layers_(total_layers), readout_(readout) {
  TESSERA_CHECK(
      qubits >= 1 && total_layers >= 1, "a QNN of {} qubits and {} layers", qubits, total_layers);
  TESSERA_CHECK(readout >= 0 && readout < qubits, "readout qubit {} of {}", readout, qubits);
  runtime::Rng rng(seed);
  axes_.resize(static_cast<std::size_t>(num_parameters()));
  for (quantum::Axis& a : axes_) {
    a = static_cast<quantum::Axis>(rng.below(3));
  }
}

quantum::ParametrizedCircuit QnnModel::circuit(int layers) const {
  TESSERA_CHECK(
      layers >= 1 && layers <= total_layers_,
      "{} layers of a {}-layer model",
      layers,
      total_layers_);
  quantum::ParametrizedCircuit c(qubits_);
  for (int l = 0; l < layers; ++l) {
    for (int q = 0; q < qubits_; ++q) {
      c.add_rotation(q, axis(l, q));
    }
    for (int q = 0; q + 1 < qubits_; ++q) {
      c.add_gate(quantum::cz_gate(q, q + 1));
    }
  }
  return c;
}

quantum::ProductState encode(
    const std::vector<double>& pixels,
    const std::string& encoding,
    double threshold,
    bool extra_readout) {
  quantum::ProductState out;
  out.reserve(pixels.size());
  for (double x : pixels) {
    if (encoding == "binary") {
      out.push_back(x > threshold ? quantum::QubitState{0, 1} : quantum::QubitState{1, 0});
    } else {
      TESSERA_CHECK(encoding == "angle", "encoding '{}'", encoding);
      const double half = std::numbers::pi * x / 2;
      out.push_back({std::cos(half), std::sin(half)});
    }
  }
  if (extra_readout) {
    out.push_back({std::numbers::sqrt2 / 2, std::numbers::sqrt2 / 2});
  }
  return out;
}

}  // namespace tessera::jobs::layerwise
