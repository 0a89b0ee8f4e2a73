#pragma once

// QecKernel: the repetition-code memory experiment as a sweep kernel.
//
// Grid parameters (sweep.grid keys):
//   distance   int >= 2                       (required)
//   rounds     int >= 1                       (required)
//   p          every noise knob at once       (default 0)
//   after_clifford_depolarization, before_measure_flip_probability,
//   after_reset_flip_probability, before_round_data_depolarization
//              one knob each, overriding p
//   basis      z (bit-flip code) | x (phase-flip code)   (default z)
//   decoder    mwpm | union_find                         (default mwpm)
// The canonical parameters (the task's identity and json_metadata) hold every
// key with its value, plus p when the four knobs are equal.
//
// A chunk samples and decodes `shots` shots with Rng(chunk.seed) and reports
// shots, errors (logical errors) and custom count detection_events. Built
// experiments are cached per task (a few), so later chunks skip the model.

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <utility>

#include "jobs/qec/memory_experiment.h"
#include "jobs/sweep/sweep_kernel.h"

namespace tessera::jobs::qec {

// The code and decoder a task's canonical parameters describe.
struct QecPoint {
  quantum::RepetitionCode code;
  std::string decoder = "mwpm";
};
QecPoint qec_point(const nlohmann::json& params);

class QecKernel final : public sweep::SweepKernel {
 public:
  explicit QecKernel(std::size_t batch_shots = 1024) : batch_shots_(batch_shots) {}

  sweep::TaskDescription describe(const nlohmann::json& point) const override;
  sweep::ChunkResult run_chunk(const sweep::Task& task, const sweep::Chunk& chunk) override;

 private:
  MemoryExperiment& experiment(const sweep::Task& task);

  std::size_t batch_shots_;
  std::list<std::pair<std::string, std::unique_ptr<MemoryExperiment>>> cache_;  // most recent first
};

}  // namespace tessera::jobs::qec
