// Models from config: shapes, activations, initializers.

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "jobs/train/dense_stack.h"
#include "jobs/train/init.h"
#include "jobs/train/model_factory.h"
#include "runtime/config/yaml_reader.h"

namespace tessera::jobs::train {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ModelConfig parse(const std::string& yaml, std::vector<ConfigIssue>* issues = nullptr) {
  ModelConfig config;
  std::vector<ConfigIssue> found;
  config::YamlReader reader(YAML::Load(yaml), "job.yaml", "model.", found);
  config.fields(reader);
  reader.finish();
  if (issues != nullptr) {
    *issues = found;
  } else {
    EXPECT_TRUE(found.empty()) << found.front().to_string();
  }
  return config;
}

TEST(ModelFactory, AutoencoderMirrorsTheEncoderWithALinearBottleneck) {
  ModelConfig config = parse("{kind: autoencoder, layers: [784, 1000, 500, 250, 30], activation: tanh}");
  EXPECT_THAT(config.dense_widths(), ElementsAre(784, 1000, 500, 250, 30, 250, 500, 1000, 784));
  EXPECT_THAT(config.dense_activations(),
              ElementsAre("tanh", "tanh", "tanh", "linear", "tanh", "tanh", "tanh", "linear"));
  torch::manual_seed(1);
  auto model = std::dynamic_pointer_cast<DenseStack>(make_model(config));
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->depth(), 8u);
  EXPECT_EQ(parameter_count(*model), 2'837'314);  // the LocoProp paper's autoencoder
  EXPECT_THAT(model->describe(), HasSubstr("autoencoder 784-1000-500-250-30-250-500-1000-784"));
  EXPECT_EQ(model->forward(torch::rand({3, 784})).sizes(), (std::vector<std::int64_t>{3, 784}));
}

TEST(ModelFactory, PerLayerActivationsOverrideTheDefaults) {
  ModelConfig config = parse("{kind: mlp, layers: [4, 3, 2], activations: [sigmoid, softmax]}");
  auto model = std::dynamic_pointer_cast<DenseStack>(make_model(config));
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->activation(0), Activation::kSigmoid);
  torch::Tensor y = model->forward(torch::randn({5, 4}));
  EXPECT_TRUE(torch::allclose(y.sum(1), torch::ones({5})));  // softmax rows sum to 1
}

TEST(ModelFactory, WrongActivationCountIsAConfigIssue) {
  std::vector<ConfigIssue> issues;
  parse("{kind: mlp, layers: [4, 3, 2], activations: [relu]}", &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].to_string(), HasSubstr("model.activations"));
  EXPECT_THAT(issues[0].to_string(), HasSubstr("one entry per weight layer (2)"));
}

TEST(ModelFactory, CnnClassifiesFlatOrImageInputs) {
  torch::manual_seed(2);
  auto model = make_model(parse("{kind: cnn, channels: [4, 8], layers: [16, 10]}"));
  EXPECT_EQ(model->forward(torch::rand({2, 784})).sizes(), (std::vector<std::int64_t>{2, 10}));
  EXPECT_EQ(model->forward(torch::rand({2, 1, 28, 28})).sizes(), (std::vector<std::int64_t>{2, 10}));
  EXPECT_THAT(model->describe(), HasSubstr("conv5x5 4-8"));
}

TEST(DenseStack, TraceKeepsEachLayersInputPreActivationAndOutput) {
  torch::manual_seed(3);
  DenseStack stack({6, 5, 4, 3}, {Activation::kTanh, Activation::kRelu, Activation::kLinear});
  torch::Tensor x = torch::randn({7, 6});
  DenseStack::Trace trace = stack.forward_trace(x);
  ASSERT_EQ(trace.pre_activations.size(), 3u);
  EXPECT_TRUE(torch::equal(trace.inputs[0], x));
  for (std::size_t m = 0; m < 3; ++m) {
    torch::Tensor a = torch::addmm(stack.layer(m)->bias, trace.inputs[m], stack.layer(m)->weight.t());
    EXPECT_TRUE(torch::allclose(trace.pre_activations[m], a, 1e-6, 1e-6)) << "layer " << m;
    EXPECT_TRUE(torch::equal(trace.outputs[m], activate(stack.activation(m), trace.pre_activations[m])));
    if (m + 1 < 3) {
      EXPECT_TRUE(torch::equal(trace.inputs[m + 1], trace.outputs[m]));
    }
  }
  EXPECT_TRUE(torch::equal(trace.outputs.back(), stack.forward(x)));
  // dL/da_m is available for every layer (what LocoProp's targets need).
  auto grads = torch::autograd::grad({trace.outputs.back().square().sum()}, trace.pre_activations);
  EXPECT_EQ(grads[1].sizes(), (std::vector<std::int64_t>{7, 4}));
}

TEST(Init, GlorotUniformBoundsWeightsAndBiases) {
  torch::manual_seed(4);
  auto model = make_model(parse(
      "{kind: mlp, layers: [300, 200, 100], weight_init: glorot_uniform, bias_init: glorot_uniform}"));
  auto params = model->named_parameters();
  const double w_limit = std::sqrt(6.0 / (300 + 200));
  const double b_limit = std::sqrt(3.0 / 200);  // 1-D: fan_in = fan_out = n
  torch::Tensor w = params["fc1.weight"];
  torch::Tensor b = params["fc1.bias"];
  EXPECT_LE(w.abs().max().item<double>(), w_limit);
  EXPECT_GT(w.abs().max().item<double>(), 0.95 * w_limit);
  EXPECT_NEAR(w.var().item<double>(), w_limit * w_limit / 3, 0.05 * w_limit * w_limit / 3);
  EXPECT_LE(b.abs().max().item<double>(), b_limit);
  EXPECT_GT(b.abs().max().item<double>(), 0.9 * b_limit);
}

TEST(Init, ZeroBiasesAndDefaultsLeaveWeightsToLibTorch) {
  torch::manual_seed(5);
  auto model = make_model(parse("{kind: mlp, layers: [30, 20, 10], bias_init: zeros}"));
  auto params = model->named_parameters();
  EXPECT_EQ(params["fc2.bias"].abs().sum().item<double>(), 0.0);
  // LibTorch's default: kaiming-uniform with a = sqrt(5), i.e. bound 1/sqrt(fan_in).
  EXPECT_LE(params["fc1.weight"].abs().max().item<double>(), 1 / std::sqrt(30.0) + 1e-7);
}

}  // namespace
}  // namespace tessera::jobs::train
