#pragma once

// CheckpointStore: a run's checkpoints — saving them atomically, choosing
// the one to resume from, keeping the newest few.
//
// The launcher creates the store (checkpoints/ of the run directory), calls
// resume() before the job runs and wait() after it returns; a job only
// reads resumed() once and calls save() at step boundaries:
//
//   void MyJob::run(runtime::JobContext& ctx) {
//     std::int64_t step = 0;
//     if (const runtime::Checkpoint* ckpt = ctx.checkpoints.resumed()) {
//       step = ckpt->step();
//       ckpt->read("weights", runtime::mutable_array_ref(std::span(weights_)));
//       if (auto rng = ckpt->rng_state()) restore_rng(*rng);
//     }
//     while (step < total_steps) {
//       train_one_step();
//       ++step;
//       const bool stop = ctx.stop.should_stop(step);         // collective, cheap
//       if (stop || ctx.checkpoints.due(step) || step == total_steps) {
//         runtime::CheckpointState state(step, epoch);
//         state.add_replicated("weights", runtime::array_ref(std::span<const float>(weights_)));
//         state.set_rng_state(save_rng());
//         ctx.checkpoints.save(std::move(state));            // collective
//       }
//       if (stop) return;        // the launcher exits with kExitStopped
//     }
//   }
//
// save() follows the protocol of checkpoint_writer.h. With `async: true` it
// copies the state to host memory and returns; a background thread writes it
// (at most one write in flight: the next save() waits for the previous one)
// over a second coordinator channel, so the job's own collectives never
// interleave with the checkpoint's.
//
// resume() per `checkpoint.resume`:
//   auto      the newest valid checkpoint, else a fresh start;
//   required  the newest valid checkpoint, else CheckpointError;
//   never     a fresh start; existing checkpoints are moved aside (*.superseded);
//   <path>    exactly that checkpoint, else CheckpointError.
// Ranks verify the candidate's files together (each hashes every size-th
// file); a damaged, partial or mismatched checkpoint is skipped with a
// warning naming what is wrong, moved aside (*.damaged) and the next older
// one is tried. A checkpoint of another job kind, or whose config differs on
// keys that are not free to change (checkpoint.*, output.*, runtime.*, name,
// the job's JobConfig::resume_may_change() and checkpoint.allow_changes), is
// refused with the differing keys listed.
//
// Thread-safety: called from the job's thread only. All methods marked
// collective are called by every rank in the same order.

#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint_config.h"
#include "runtime/checkpoint/checkpoint_state.h"
#include "runtime/checkpoint/checkpoint_writer.h"
#include "runtime/coordinator.h"

namespace tessera::runtime {

// What ties checkpoints to a run: its kind and config, and which config keys
// may change between a checkpoint and the run resuming from it.
struct CheckpointIdentity {
  std::string job;                         // job kind
  std::string name;                        // run name
  std::string config;                      // resolved YAML
  std::vector<std::string> may_change;     // dotted key prefixes, beyond the common ones
};

class CheckpointStore {
 public:
  // Opens (creating) `checkpoints_dir`; rank 0 removes leftovers of
  // interrupted writes. With config.async, opens a second coordinator channel
  // (falls back to synchronous writes, with a warning, where the coordinator
  // cannot make one). Collective.
  CheckpointStore(std::filesystem::path checkpoints_dir, Coordinator& coordinator,
                  CheckpointConfig config, CheckpointIdentity identity);
  // Waits for a write in flight (errors are logged, not thrown); while an
  // exception unwinds it does not wait on peers.
  ~CheckpointStore();
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  const CheckpointConfig& config() const { return config_; }

  // Chooses the checkpoint to start from (see above). Collective. Returns it,
  // or nullptr for a fresh start.
  const Checkpoint* resume();
  // The checkpoint resume() chose, or nullptr.
  const Checkpoint* resumed() const { return resumed_.get(); }

  // True when `every_steps` asks for a checkpoint after `step`.
  bool due(std::int64_t step) const {
    return config_.every_steps > 0 && step > 0 && step % config_.every_steps == 0;
  }

  // Saves `state` (every rank its own, same step). Collective. A step equal
  // to the newest one this run saved or resumed from is skipped. Throws
  // CheckpointError (sync mode: this write; async: the previous write).
  void save(CheckpointState state);
  // Waits for the write in flight, if any; rethrows its error. Collective in
  // effect (the write's collectives finish on every rank).
  void wait();

  // The newest step this run saved (or is saving) or resumed from.
  std::optional<std::int64_t> last_step() const { return last_step_; }

 private:
  struct AsyncWrite;

  Checkpoint* choose(const std::filesystem::path& dir);
  void move_aside(const std::vector<std::filesystem::path>& dirs, const char* suffix);

  std::filesystem::path dir_;
  Coordinator& coordinator_;
  CheckpointConfig config_;
  CheckpointIdentity identity_;
  std::shared_ptr<Coordinator> async_coordinator_;  // the writer thread's channel
  std::unique_ptr<Checkpoint> resumed_;
  std::optional<std::int64_t> last_step_;
  std::unique_ptr<AsyncWrite> in_flight_;
};

}  // namespace tessera::runtime
