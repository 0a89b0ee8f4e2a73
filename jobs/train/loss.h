#pragma once

// Losses on model outputs (logits), each a mean over the batch:
//
//   sigmoid_ce  sum over outputs of binary cross-entropy with logits, mean over
//               the batch: the deep autoencoder's loss (targets in [0, 1];
//               784 ln 2 ~ 543 when every logit is 0).
//   softmax_ce  cross-entropy of softmax(logits) with integer labels, mean over
//               the batch (logits [B, C], or [B, ..., C] with labels [B, ...]:
//               mean over every position).
//   mse         squared error, mean over every element.
//
// EvalSums collects sums over batches (and ranks) so the metrics of a whole
// split come out exactly as if it were one batch.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

namespace tessera::jobs::train {

enum class LossKind { kSigmoidCrossEntropy, kSoftmaxCrossEntropy, kMse };

// "sigmoid_ce", "softmax_ce", "mse".
std::string_view loss_name(LossKind kind);
std::optional<LossKind> loss_from_name(std::string_view name);

// The loss of `output` against `target` (a scalar tensor in the graph).
at::Tensor compute_loss(LossKind kind, const at::Tensor& output, const at::Tensor& target);

// Sums over an evaluation split.
struct EvalSums {
  double loss = 0;           // per-example (mse: per-element) losses, summed
  double loss_count = 0;     // examples (mse: elements) in `loss`
  double correct = 0;        // softmax_ce: predictions equal to the label
  double predictions = 0;    // softmax_ce: predictions made
  double squared_error = 0;  // sigmoid_ce: sum of (target - sigmoid(output))^2
  double elements = 0;       // sigmoid_ce: elements in squared_error

  // Adds the sums of one batch.
  void add(LossKind kind, const at::Tensor& output, const at::Tensor& target);
  // As a flat vector (to all-reduce) and back.
  std::vector<double> to_vector() const;
  static EvalSums from_vector(const std::vector<double>& values);
  // The metrics: "loss", and "accuracy" or "squared_error" where they apply.
  std::vector<std::pair<std::string, double>> metrics() const;
};

}  // namespace tessera::jobs::train
