#pragma once

// Adam (Kingma & Ba, arXiv 1412.6980) on a vector of doubles, with a mask of
// the parameters it may change: a masked-out parameter keeps its value and
// its moments. Bias-corrected as in the paper:
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   theta <- theta - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

#include <cstdint>
#include <span>
#include <vector>

namespace tessera::jobs::layerwise {

struct AdamOptions {
  double lr = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-7;
};

class Adam {
 public:
  Adam(std::size_t size, AdamOptions options);

  // One step on every parameter i with mask[i] != 0 (an empty mask: all).
  void step(
      std::span<double> parameters,
      std::span<const double> gradient,
      std::span<const char> mask = {});
  // Zero moments and step count (a fresh optimizer over the same parameters).
  void reset();

  std::int64_t steps() const { return steps_; }
  const std::vector<double>& first_moment() const { return m_; }
  const std::vector<double>& second_moment() const { return v_; }

 private:
  AdamOptions options_;
  std::vector<double> m_;
  std::vector<double> v_;
  std::int64_t steps_ = 0;
};

}  // namespace tessera::jobs::layerwise
