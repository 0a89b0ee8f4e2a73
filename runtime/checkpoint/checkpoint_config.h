#pragma once

// CheckpointConfig: the `checkpoint:` section shared by every job kind.

#include <cstdint>
#include <string>

#include "runtime/config/fields.h"

namespace tessera::runtime {

struct CheckpointConfig {
  std::int64_t every_steps = 0;  // save every N steps; 0 = only on signals and at the end
  int keep = 3;                  // newest checkpoints kept
  std::string resume = "auto";   // auto|required|never|<path of a checkpoint>

  void fields(config::Fields& f) {
    f("every_steps", every_steps, "save every N steps (0: only on signals and at the end)",
      config::at_least<std::int64_t>(0));
    f("keep", keep, "newest checkpoints kept", config::at_least(1));
    f("resume", resume,
      "auto (newest valid, else fresh), required, never, or a checkpoint path",
      config::not_empty());
  }
};

}  // namespace tessera::runtime
