#pragma once

// make_model: the network a `model:` section describes, initialised with
// torch's default generator (seed it first for reproducible weights).

#include <memory>

#include "jobs/train/model.h"
#include "jobs/train/model_config.h"

namespace tessera::jobs::train {

// Throws ConfigError for a config that names no buildable model.
std::shared_ptr<Model> make_model(const ModelConfig& config);

}  // namespace tessera::jobs::train
