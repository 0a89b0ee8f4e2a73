#pragma once

// MemoryExperiment: one repetition-code memory point, ready to run shots:
// circuit -> detector error model -> matching graph -> decoder, plus a frame
// simulator. run() samples shots in batches, decodes every shot with
// detection events (shots without any are counted as correct without calling
// the decoder) and counts logical errors.
//
// Building one costs milliseconds (the model is derived from the circuit);
// the MWPM decoder then fills its distance rows lazily during the first
// shots. Not thread-safe; one per thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jobs/quantum/decoder.h"
#include "jobs/quantum/detector_error_model.h"
#include "jobs/quantum/frame_simulator.h"
#include "jobs/quantum/matching_graph.h"
#include "jobs/quantum/repetition_code.h"

namespace tessera::jobs::qec {

struct ShotCounts {
  std::int64_t shots = 0;
  std::int64_t errors = 0;             // decoder's prediction != the observable
  std::int64_t detection_events = 0;   // fired detectors, summed over shots
  std::int64_t quiet_shots = 0;        // shots with no detection event
};

class MemoryExperiment {
 public:
  // Throws ConfigError for a bad code or decoder name.
  MemoryExperiment(const quantum::RepetitionCode& code, std::string_view decoder,
                   quantum::FrameSimulatorOptions options = {});

  // Samples and decodes `shots` shots.
  ShotCounts run(std::int64_t shots, runtime::Rng& rng);

  const quantum::RepetitionCode& code() const { return code_; }
  const quantum::StabilizerCircuit& circuit() const { return circuit_; }
  const quantum::DetectorErrorModel& model() const { return model_; }
  const quantum::MatchingGraph& graph() const { return graph_; }
  quantum::FrameSimulator& simulator() { return simulator_; }
  quantum::Decoder& decoder() { return *decoder_; }

 private:
  quantum::RepetitionCode code_;
  quantum::StabilizerCircuit circuit_;
  quantum::DetectorErrorModel model_;
  quantum::MatchingGraph graph_;
  quantum::FrameSimulator simulator_;
  std::unique_ptr<quantum::Decoder> decoder_;
  quantum::DetectionEvents events_;
};

// Counts the logical errors among already sampled shots.
ShotCounts decode_and_count(quantum::Decoder& decoder, const quantum::DetectionEvents& events);

}  // namespace tessera::jobs::qec
