#pragma once

// QnnModel: the quantum neural network of the layerwise-learning experiment
// (Skolik et al., arXiv 2006.14904; the barren-plateau circuits of McClean
// et al. 2018), as a template for circuits of any depth up to total_layers.
//
// One layer = on each qubit q a rotation Rx, Ry or Rz (drawn once per
// circuit from `seed`) with its own angle, then CZ(q, q+1) for every
// neighbouring pair (no wrap-around). Parameter index = layer * qubits + q,
// so a deeper circuit extends a shallower one's parameter vector. Inputs are
// product states (encode()), the prediction is <Z_readout>: >= 0 means label
// +1.

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/quantum/parametrized_circuit.h"
#include "jobs/quantum/state_batch.h"

namespace tessera::jobs::layerwise {

class QnnModel {
 public:
  // Throws InternalError for qubits < 1, total_layers < 1 or a readout
  // outside [0, qubits).
  QnnModel(int qubits, int total_layers, int readout, std::uint64_t seed);

  int qubits() const { return qubits_; }
  int total_layers() const { return total_layers_; }
  int readout() const { return readout_; }
  int num_parameters() const { return qubits_ * total_layers_; }
  // The rotation axis of (layer, qubit).
  quantum::Axis axis(int layer, int qubit) const {
    return axes_[static_cast<std::size_t>(layer * qubits_ + qubit)];
  }

  // The circuit of the first `layers` layers (1..total_layers); its
  // parameters are the first layers * qubits of the model's.
  quantum::ParametrizedCircuit circuit(int layers) const;

 private:
  int qubits_;
  int total_layers_;
  int readout_;
  std::vector<quantum::Axis> axes_;
};

// The input state of an image: "binary" puts qubit q in |1> when pixel q is
// above `threshold` (an X gate on |0>), "angle" in Ry(pi x_q)|0>. With
// `extra_readout` one more qubit follows the pixels in |+> = H|0>, so that
// <Z> of it is 0 until the layers act (the TFQ notebook's readout qubit).
quantum::ProductState encode(
    const std::vector<double>& pixels,
    const std::string& encoding,
    double threshold,
    bool extra_readout = false);

}  // namespace tessera::jobs::layerwise
