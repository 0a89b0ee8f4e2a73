#pragma once

// Small configs used by the config tests.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/config/fields.h"

namespace tessera::config::test {

enum class Activation { kTanh, kRelu };

struct OptimConfig {
  std::string kind = "adam";
  double lr = 1e-3;
  std::vector<double> betas = {0.9, 0.999};

  void fields(Fields& f) {
    f("kind", kind, "optimizer", one_of({"sgd", "adam"}));
    f("lr", lr, "learning rate", positive<double>());
    f("betas", betas, "Adam betas");
  }
};

struct LayerConfig {
  int width = 8;
  Activation activation = Activation::kTanh;

  void fields(Fields& f) {
    f("width", width, "units", at_least(1));
    f.choice("activation", activation, {{"tanh", Activation::kTanh}, {"relu", Activation::kRelu}},
             "activation");
  }
};

struct TrainConfig {
  std::int64_t epochs = 10;
  bool shuffle = true;
  Seconds timeout{60};
  std::optional<std::string> resume_from;
  OptimConfig optim;
  std::vector<LayerConfig> layers;
  YAML::Node grid;

  void fields(Fields& f) {
    f("epochs", epochs, "passes over the data", at_least<std::int64_t>(1));
    f("shuffle", shuffle, "shuffle samples");
    f("timeout", timeout, "give up after");
    f("resume_from", resume_from, "checkpoint to start from");
    f("optim", optim, "optimizer");
    f("layers", layers, "hidden layers");
    f.raw("grid", grid, "sweep grid");
    if (f.parsing() && optim.kind == "sgd" && optim.betas.size() != 2) {
      f.issue("optim", "sgd takes no betas");
    }
  }
};

}  // namespace tessera::config::test
