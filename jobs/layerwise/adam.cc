#include "jobs/layerwise/adam.h"

#include <cmath>

#include "runtime/error.h"

namespace tessera::jobs::layerwise {

Adam::Adam(std::size_t size, AdamOptions options)
    : options_(options), m_(size, 0.0), v_(size, 0.0) {}

void Adam::step(
    std::span<double> parameters, std::span<const double> gradient, std::span<const char> mask) {
  TESSERA_CHECK(
      parameters.size() == m_.size() && gradient.size() == m_.size() &&
          (mask.empty() || mask.size() == m_.size()),
      "Adam over {} parameters got {} parameters, {} gradients, {} mask flags",
      m_.size(),
      parameters.size(),
      gradient.size(),
      mask.size());
  ++steps_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double c1 = 1 - std::pow(b1, static_cast<double>(steps_));
  const double c2 = 1 - std::pow(b2, static_cast<double>(steps_));
  for (std::size_t i = 0; i < m_.size(); ++i) {
    if (!mask.empty() && mask[i] == 0) {
      continue;
    }
    const double g = gradient[i];
    m_[i] = b1 * m_[i] + (1 - b1) * g;
    v_[i] = b2 * v_[i] + (1 - b2) * g * g;
    parameters[i] -= options_.lr * (m_[i] / c1) / (std::sqrt(v_[i] / c2) + options_.epsilon);
  }
}

void Adam::reset() {
  std::fill(m_.begin(), m_.end(), 0.0);
  std::fill(v_.begin(), v_.end(), 0.0);
  steps_ = 0;
}

}  // namespace tessera::jobs::layerwise
