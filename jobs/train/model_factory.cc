#include "jobs/train/model_factory.h"

#include "jobs/train/dense_stack.h"
#include "jobs/train/init.h"
#include "jobs/train/small_cnn.h"
#include "runtime/error.h"

namespace tessera::jobs::train {
namespace {

Activation activation_of(const std::string& name) {
  std::optional<Activation> a = activation_from_name(name);
  if (!a) {
    throw ConfigError("model: unknown activation '" + name + "'");
  }
  return *a;
}

}  // namespace

std::shared_ptr<Model> make_model(const ModelConfig& config) {
  std::shared_ptr<Model> model;
  if (config.kind == "cnn") {
    SmallCnnOptions options;
    options.input_shape = config.input_shape;
    options.channels = config.channels;
    options.kernel = config.kernel;
    options.head = config.layers;
    options.activation = activation_of(config.activation);
    model = std::make_shared<SmallCnn>(options);
  } else if (config.kind == "mlp" || config.kind == "autoencoder") {
    std::vector<Activation> activations;
    for (const std::string& name : config.dense_activations()) {
      activations.push_back(activation_of(name));
    }
    model = std::make_shared<DenseStack>(config.dense_widths(), activations, config.kind);
  } else {
    throw ConfigError("model.kind = " + config.kind + " (must be mlp, autoencoder or cnn)");
  }
  initialize(*model,
             config.weight_init == "glorot_uniform" ? WeightInit::kGlorotUniform : WeightInit::kDefault,
             config.bias_init == "glorot_uniform" ? BiasInit::kGlorotUniform
             : config.bias_init == "zeros"        ? BiasInit::kZeros
                                                  : BiasInit::kDefault);
  return model;
}

}  // namespace tessera::jobs::train
