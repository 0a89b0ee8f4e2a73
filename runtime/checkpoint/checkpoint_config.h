#pragma once

// CheckpointConfig: the `checkpoint:` section shared by every job kind.
//
//   checkpoint:
//     every_steps: 200          # periodic saves (0: only when stopping and at the end)
//     keep: 3                   # newest complete checkpoints kept
//     resume: auto              # auto | required | never | <checkpoint directory>
//     async: false              # write in a background thread while the job goes on
//     requeue_on_signal: false  # under Slurm: `scontrol requeue` after the stop checkpoint
//     before_time_limit: 120s   # stop and save this long before the Slurm job's end
//     stop_check_every: 1       # steps between the ranks' (tiny) stop agreement
//     allow_changes: [train.lr] # config keys that may differ from the checkpoint's

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/config/fields.h"

namespace tessera::runtime {

struct CheckpointConfig {
  std::int64_t every_steps = 0;  // save every N steps; 0 = only on signals and at the end
  int keep = 3;                  // newest checkpoints kept
  std::string resume = "auto";   // auto|required|never|<path of a checkpoint>
  bool async = false;            // copy state to host memory, write it in a background thread
  bool requeue_on_signal = false;  // under Slurm, requeue the job after a stop checkpoint
  config::Seconds before_time_limit{0};  // save and stop this long before the Slurm end time; 0 = off
  int stop_check_every = 1;      // steps between the ranks' agreement on stopping
  std::vector<std::string> allow_changes;  // config keys that may differ from the checkpoint's

  void fields(config::Fields& f) {
    f("every_steps", every_steps, "save every N steps (0: only on signals and at the end)",
      config::at_least<std::int64_t>(0));
    f("keep", keep, "newest checkpoints kept", config::at_least(1));
    f("resume", resume,
      "auto (newest valid, else fresh), required, never, or a checkpoint path",
      config::not_empty());
    f("async", async, "write checkpoints in a background thread (state is copied first)");
    f("requeue_on_signal", requeue_on_signal,
      "under Slurm, run `scontrol requeue` after the checkpoint of a signal or time-limit stop");
    f("before_time_limit", before_time_limit,
      "stop with a checkpoint this long before the Slurm job's end time (0: off)",
      config::Rule<config::Seconds>{"must be >= 0", [](const config::Seconds& s) { return s.count() >= 0; }});
    f("stop_check_every", stop_check_every,
      "steps between the ranks' agreement on stopping (one tiny all-reduce)", config::at_least(1));
    f("allow_changes", allow_changes,
      "config keys (or sections) that may differ from the checkpoint's when resuming");
  }
};

}  // namespace tessera::runtime
