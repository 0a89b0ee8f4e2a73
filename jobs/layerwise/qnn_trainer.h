#pragma once

// QnnTrainer: trains a QnnModel's parameters on an ImagePair, stage by stage
// (a stage = a circuit depth, the layers trained, a number of epochs), the
// building block of both strategies (layerwise_strategy.h).
//
// One Adam step per batch. With shots > 0 everything is estimated as on
// hardware: the prediction <Z> of each example from `shots` measurements,
// and each gradient entry by the parameter-shift rule with both shifted
// expectations estimated from `shots` measurements too; the loss gradient is
//   g_k = mean_batch  dloss/d<Z>(<Z>^) * ( <Z>^(theta_k + pi/2) - <Z>^(theta_k - pi/2) ) / 2.
// With shots = 0 predictions and gradients are exact (adjoint).
//
// Every stage starts a fresh Adam (moments and step count zero), as a newly
// compiled model would. Circuit executions are counted as hardware would
// run them: per example and step, 1 for the prediction and 2 per trained
// parameter. After every epoch the test set is evaluated (not counted) and a
// CurvePoint recorded; point 0 is the untrained circuit.
//
// Deterministic: the same seed gives the same parameters, losses and errors
// (training and evaluation draw from separate streams, so evaluating does
// not change the training).

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "jobs/layerwise/adam.h"
#include "jobs/layerwise/image_pair.h"
#include "jobs/layerwise/qnn_model.h"
#include "jobs/quantum/parametrized_circuit.h"

namespace tessera::jobs::layerwise {

struct TrainerOptions {
  std::string loss = "squared_hinge";  // squared_hinge | cross_entropy
  std::int64_t shots = 10;             // 0: exact
  int batch_size = 20;
  AdamOptions adam;
  std::string encoding = "binary";  // binary | angle
  double threshold = 0.5;           // binary encoding's cut
  bool extra_readout = true;        // one qubit beyond the pixels, in |+> (encode())
  bool single_precision = true;     // complex64 state vectors (else complex128)
  quantum::EvaluationOptions evaluation;
};

struct CurvePoint {
  int epoch = 0;                // epochs trained so far
  int phase = 0;                // 0: complete-depth; 1, 2: layerwise phases
  int depth = 0;                // layers in the circuit
  int trained = 0;              // parameters trained in this epoch
  double train_loss = 0;        // mean loss of the epoch's batches (as estimated while training)
  double test_error = 0;        // misclassified test images, predictions from `shots` shots
  double test_error_exact = 0;  // the same with exact <Z>
  std::int64_t executions = 0;  // circuit executions for training so far
};

class QnnTrainer {
 public:
  QnnTrainer(
      const ImagePair& data, const QnnModel& model, TrainerOptions options, std::uint64_t seed);

  // Records point 0 (the untrained circuit of `depth` layers).
  void start(int depth);
  // Trains `epochs` epochs on the circuit of `depth` layers, only the
  // parameters of `layers` (layer indices < depth) changing. Returns the
  // mean train loss over the stage's epochs.
  double train(int depth, std::span<const int> layers, int epochs, int phase);

  const std::vector<double>& parameters() const { return parameters_; }
  std::vector<double>& parameters() { return parameters_; }
  const std::vector<CurvePoint>& curve() const { return curve_; }
  std::int64_t executions() const { return executions_; }

  // Exact <Z_readout> of every test image on the circuit of `depth` layers.
  std::vector<double> test_expectations(int depth) const;

 private:
  // dloss/d<Z> and the loss at estimate z for label y.
  std::pair<double, double> loss(double z, int y) const;
  void evaluate(int depth, int phase, int trained, double train_loss);

  const ImagePair& data_;
  const QnnModel& model_;
  TrainerOptions options_;
  std::vector<quantum::ProductState> train_inputs_;
  std::vector<quantum::ProductState> test_inputs_;
  std::vector<double> parameters_;
  std::vector<CurvePoint> curve_;
  std::mt19937_64 train_rng_;
  std::mt19937_64 eval_rng_;
  std::int64_t executions_ = 0;
  int epochs_ = 0;
};

}  // namespace tessera::jobs::layerwise
