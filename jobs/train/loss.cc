#include "jobs/train/loss.h"

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace tessera::jobs::train {

std::string_view loss_name(LossKind kind) {
  switch (kind) {
    case LossKind::kSigmoidCrossEntropy:
      return "sigmoid_ce";
    case LossKind::kSoftmaxCrossEntropy:
      return "softmax_ce";
    case LossKind::kMse:
      return "mse";
  }
  return "?";
}

std::optional<LossKind> loss_from_name(std::string_view name) {
  for (LossKind kind : {LossKind::kSigmoidCrossEntropy, LossKind::kSoftmaxCrossEntropy, LossKind::kMse}) {
    if (loss_name(kind) == name) {
      return kind;
    }
  }
  return std::nullopt;
}

at::Tensor compute_loss(LossKind kind, const at::Tensor& output, const at::Tensor& target) {
  switch (kind) {
    case LossKind::kSigmoidCrossEntropy: {
      TESSERA_CHECK(output.sizes() == target.sizes(), "sigmoid_ce: output [{}] vs target [{}]",
                    fmt::join(output.sizes(), ","), fmt::join(target.sizes(), ","));
      const double batch = static_cast<double>(output.size(0));
      return at::binary_cross_entropy_with_logits(output, target.to(output.scalar_type()), {}, {},
                                                  at::Reduction::Sum) / batch;
    }
    case LossKind::kSoftmaxCrossEntropy:
      TESSERA_CHECK(output.dim() == target.dim() + 1, "softmax_ce: output [{}] vs labels [{}]",
                    fmt::join(output.sizes(), ","), fmt::join(target.sizes(), ","));
      return at::cross_entropy_loss(output.reshape({-1, output.size(-1)}), target.reshape({-1}));
    case LossKind::kMse:
      return at::mse_loss(output, target.to(output.scalar_type()));
  }
  return {};
}

void EvalSums::add(LossKind kind, const at::Tensor& output, const at::Tensor& target) {
  at::NoGradGuard no_grad;
  switch (kind) {
    case LossKind::kSigmoidCrossEntropy: {
      at::Tensor t = target.to(output.scalar_type());
      loss += at::binary_cross_entropy_with_logits(output, t, {}, {}, at::Reduction::Sum).item<double>();
      loss_count += static_cast<double>(output.size(0));
      squared_error += (t - at::sigmoid(output)).square().sum().item<double>();
      elements += static_cast<double>(output.numel());
      break;
    }
    case LossKind::kSoftmaxCrossEntropy: {
      at::Tensor logits = output.reshape({-1, output.size(-1)});
      at::Tensor labels = target.reshape({-1});
      loss += at::cross_entropy_loss(logits, labels, {}, at::Reduction::Sum).item<double>();
      loss_count += static_cast<double>(labels.numel());
      correct += logits.argmax(-1).eq(labels).sum().item<double>();
      predictions += static_cast<double>(labels.numel());
      break;
    }
    case LossKind::kMse:
      loss += at::mse_loss(output, target.to(output.scalar_type()), at::Reduction::Sum).item<double>();
      loss_count += static_cast<double>(output.numel());
      break;
  }
}

std::vector<double> EvalSums::to_vector() const {
  return {loss, loss_count, correct, predictions, squared_error, elements};
}

EvalSums EvalSums::from_vector(const std::vector<double>& v) {
  TESSERA_CHECK(v.size() == 6, "{} values", v.size());
  return EvalSums{v[0], v[1], v[2], v[3], v[4], v[5]};
}

std::vector<std::pair<std::string, double>> EvalSums::metrics() const {
  std::vector<std::pair<std::string, double>> out;
  if (loss_count > 0) {
    out.emplace_back("loss", loss / loss_count);
  }
  if (predictions > 0) {
    out.emplace_back("accuracy", correct / predictions);
  }
  if (elements > 0) {
    out.emplace_back("squared_error", squared_error / elements);
  }
  return out;
}

}  // namespace tessera::jobs::train
