#include "jobs/train/small_cnn.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace tessera::jobs::train {

SmallCnn::SmallCnn(SmallCnnOptions options) : options_(std::move(options)) {
  TESSERA_CHECK(options_.input_shape.size() == 3, "input_shape has {} dims", options_.input_shape.size());
  TESSERA_CHECK(!options_.head.empty(), "empty head");
  std::int64_t channels = options_.input_shape[0];
  std::int64_t height = options_.input_shape[1];
  std::int64_t width = options_.input_shape[2];
  for (std::size_t i = 0; i < options_.channels.size(); ++i) {
    auto conv_options = torch::nn::Conv2dOptions(channels, options_.channels[i], options_.kernel)
                            .padding(options_.kernel / 2);
    convs_.push_back(register_module(fmt::format("conv{}", i + 1), torch::nn::Conv2d(conv_options)));
    channels = options_.channels[i];
    height /= 2;
    width /= 2;
  }
  TESSERA_CHECK(height > 0 && width > 0, "too many pooling stages for input {}",
                fmt::join(options_.input_shape, "x"));
  std::vector<std::int64_t> widths{channels * height * width};
  widths.insert(widths.end(), options_.head.begin(), options_.head.end());
  std::vector<Activation> activations(options_.head.size(), options_.activation);
  activations.back() = Activation::kLinear;
  head_ = register_module("head", std::make_shared<DenseStack>(widths, activations, "head"));
}

torch::Tensor SmallCnn::forward(const torch::Tensor& input) {
  const auto& s = options_.input_shape;
  torch::Tensor x = input.reshape({input.size(0), s[0], s[1], s[2]});
  for (torch::nn::Conv2d& conv : convs_) {
    x = at::max_pool2d(activate(options_.activation, conv->forward(x)), {2, 2});
  }
  return head_->forward(x.flatten(1));
}

std::string SmallCnn::describe() const {
  return fmt::format("cnn {} -> conv{}x{} {} -> dense {}, {} parameters",
                     fmt::join(options_.input_shape, "x"), options_.kernel, options_.kernel,
                     fmt::join(options_.channels, "-"), fmt::join(options_.head, "-"),
                     parameter_count(*this));
}

}  // namespace tessera::jobs::train
