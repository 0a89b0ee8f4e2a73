#include "jobs/layerwise/qnn_trainer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "jobs/quantum/adjoint_gradient.h"
#include "jobs/quantum/parameter_shift.h"
#include "jobs/quantum/shot_sampling.h"
#include "runtime/error.h"

namespace tessera::jobs::layerwise {
namespace {

constexpr std::uint64_t kEvaluationStream = 0x9E3779B97F4A7C15ull;

template <class Real>
quantum::GradientResult exact_gradients(
    const quantum::ParametrizedCircuit& c,
    std::span<const double> theta,
    std::span<const quantum::ProductState> inputs,
    int readout,
    std::span<const char> mask,
    const quantum::EvaluationOptions& o) {
  return quantum::adjoint_gradients<Real>(c, theta, inputs, readout, mask, o);
}

}  // namespace

QnnTrainer::QnnTrainer(
    const ImagePair& data, const QnnModel& model, TrainerOptions options, std::uint64_t seed)
    : data_(data),
      model_(model),
      options_(std::move(options)),
      parameters_(static_cast<std::size_t>(model.num_parameters()), 0.0),
      train_rng_(seed),
      eval_rng_(seed ^ kEvaluationStream) {
  const int extra = options_.extra_readout ? 1 : 0;
  TESSERA_CHECK(
      data.size * data.size + extra == model.qubits(),
      "{}x{} images (+{} readout) on {} qubits",
      data.size,
      data.size,
      extra,
      model.qubits());
  for (const Example& e : data.train) {
    train_inputs_.push_back(
        encode(e.pixels, options_.encoding, options_.threshold, options_.extra_readout));
  }
  for (const Example& e : data.test) {
    test_inputs_.push_back(
        encode(e.pixels, options_.encoding, options_.threshold, options_.extra_readout));
  }
}

std::pair<double, double> QnnTrainer::loss(double z, int y) const {
  if (options_.loss == "squared_hinge") {
    const double margin = std::max(0.0, 1.0 - y * z);
    return {-2.0 * y * margin, margin * margin};
  }
  // Cross-entropy of the label's probability p = (1 + y z) / 2.
  const double p = std::clamp((1.0 + y * z) / 2.0, 1e-6, 1.0);
  return {-0.5 * y / p, -std::log(p)};
}

std::vector<double> QnnTrainer::test_expectations(int depth) const {
  const quantum::ParametrizedCircuit c = model_.circuit(depth);
  const std::span<const double> theta(
      parameters_.data(), static_cast<std::size_t>(c.num_parameters()));
  return options_.single_precision
             ? quantum::expectation_values<float>(
                   c, theta, test_inputs_, model_.readout(), options_.evaluation)
             : quantum::expectation_values<double>(
                   c, theta, test_inputs_, model_.readout(), options_.evaluation);
}

void QnnTrainer::evaluate(int depth, int phase, int trained, double train_loss) {
  const std::vector<double> z = test_expectations(depth);
  std::int64_t wrong = 0, wrong_exact = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const int y = data_.test[i].label;
    wrong_exact += (z[i] >= 0 ? 1 : -1) != y ? 1 : 0;
    const double estimate = quantum::sample_expectation(z[i], options_.shots, eval_rng_);
    int predicted = estimate > 0 ? 1 : -1;
    if (estimate == 0 && options_.shots > 0) {
      predicted = (eval_rng_() & 1) != 0 ? 1 : -1;  // a tie is a coin flip
    } else if (estimate == 0) {
      predicted = 1;
    }
    wrong += predicted != y ? 1 : 0;
  }
  const double n = static_cast<double>(std::max<std::size_t>(1, z.size()));
  curve_.push_back(
      {epochs_,
       phase,
       depth,
       trained,
       train_loss,
       static_cast<double>(wrong) / n,
       static_cast<double>(wrong_exact) / n,
       executions_});
}

void QnnTrainer::start(int depth) {
  TESSERA_CHECK(curve_.empty(), "QnnTrainer::start called twice");
  // The loss of the untrained circuit on the training set, as estimated from shots.
  const quantum::ParametrizedCircuit c = model_.circuit(depth);
  const std::span<const double> theta(
      parameters_.data(), static_cast<std::size_t>(c.num_parameters()));
  const std::vector<double> z =
      options_.single_precision
          ? quantum::expectation_values<float>(
                c, theta, train_inputs_, model_.readout(), options_.evaluation)
          : quantum::expectation_values<double>(
                c, theta, train_inputs_, model_.readout(), options_.evaluation);
  double total = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    total +=
        loss(quantum::sample_expectation(z[i], options_.shots, eval_rng_), data_.train[i].label)
            .second;
  }
  evaluate(depth, 0, 0, total / static_cast<double>(std::max<std::size_t>(1, z.size())));
}

double QnnTrainer::train(int depth, std::span<const int> layers, int epochs, int phase) {
  TESSERA_CHECK(!curve_.empty(), "QnnTrainer::train before start");
  const quantum::ParametrizedCircuit c = model_.circuit(depth);
  const std::size_t p = static_cast<std::size_t>(c.num_parameters());
  const std::size_t per_layer = static_cast<std::size_t>(model_.qubits());
  std::vector<char> mask(p, 0);
  for (int layer : layers) {
    TESSERA_CHECK(layer >= 0 && layer < depth, "layer {} of a {}-layer circuit", layer, depth);
    std::fill_n(
        mask.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(layer) * per_layer),
        per_layer,
        1);
  }
  const int trained = static_cast<int>(std::count(mask.begin(), mask.end(), 1));
  Adam adam(p, options_.adam);
  const std::span<double> theta(parameters_.data(), p);
  std::vector<std::size_t> order(train_inputs_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<quantum::ProductState> batch;
  std::vector<int> labels;
  std::vector<double> gradient(p, 0.0);
  double stage_loss = 0;

  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (std::size_t i = order.size(); i > 1; --i) {  // Fisher-Yates, reproducible across libraries
      std::swap(order[i - 1], order[train_rng_() % i]);
    }
    double epoch_loss = 0;
    for (std::size_t first = 0; first < order.size();
         first += static_cast<std::size_t>(options_.batch_size)) {
      const std::size_t count =
          std::min(static_cast<std::size_t>(options_.batch_size), order.size() - first);
      batch.clear();
      labels.clear();
      for (std::size_t j = 0; j < count; ++j) {
        batch.push_back(train_inputs_[order[first + j]]);
        labels.push_back(data_.train[order[first + j]].label);
      }
      std::fill(gradient.begin(), gradient.end(), 0.0);
      double batch_loss = 0;
      if (options_.shots == 0) {
        const quantum::GradientResult g =
            options_.single_precision
                ? exact_gradients<float>(
                      c, theta, batch, model_.readout(), mask, options_.evaluation)
                : exact_gradients<double>(
                      c, theta, batch, model_.readout(), mask, options_.evaluation);
        for (std::size_t b = 0; b < count; ++b) {
          const auto [dl, l] = loss(g.values[b], labels[b]);
          batch_loss += l;
          for (std::size_t k = 0; k < p; ++k) {
            gradient[k] += dl * g.gradient(b, static_cast<int>(k)) / static_cast<double>(count);
          }
        }
      } else {
        const quantum::ShiftedExpectations s =
            options_.single_precision
                ? quantum::shifted_expectations<float>(
                      c, theta, batch, model_.readout(), mask, options_.evaluation)
                : quantum::shifted_expectations<double>(
                      c, theta, batch, model_.readout(), mask, options_.evaluation);
        for (std::size_t b = 0; b < count; ++b) {
          const double z = quantum::sample_expectation(s.values[b], options_.shots, train_rng_);
          const auto [dl, l] = loss(z, labels[b]);
          batch_loss += l;
          for (std::size_t k = 0; k < s.parameters.size(); ++k) {
            const double plus =
                quantum::sample_expectation(s.plus[s.index(b, k)], options_.shots, train_rng_);
            const double minus =
                quantum::sample_expectation(s.minus[s.index(b, k)], options_.shots, train_rng_);
            gradient[static_cast<std::size_t>(s.parameters[k])] +=
                dl * (plus - minus) / 2 / static_cast<double>(count);
          }
        }
      }
      executions_ +=
          static_cast<std::int64_t>(count) * (1 + 2 * static_cast<std::int64_t>(trained));
      adam.step(theta, gradient, mask);
      epoch_loss += batch_loss;
    }
    epoch_loss /= static_cast<double>(std::max<std::size_t>(1, order.size()));
    stage_loss += epoch_loss;
    ++epochs_;
    evaluate(depth, phase, trained, epoch_loss);
  }
  return epochs > 0 ? stage_loss / epochs : 0.0;
}

}  // namespace tessera::jobs::layerwise
