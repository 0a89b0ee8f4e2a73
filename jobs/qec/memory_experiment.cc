#include "jobs/qec/memory_experiment.h"

#include <algorithm>

namespace tessera::jobs::qec {

MemoryExperiment::MemoryExperiment(const quantum::RepetitionCode& code, std::string_view decoder,
                                   quantum::FrameSimulatorOptions options)
    : code_(code),
      circuit_(quantum::make_repetition_code_circuit(code)),
      model_(quantum::DetectorErrorModel::from_circuit(circuit_)),
      graph_(quantum::MatchingGraph::from_dem(model_)),
      simulator_(circuit_, options),
      decoder_(quantum::make_decoder(decoder, graph_)) {}

ShotCounts decode_and_count(quantum::Decoder& decoder, const quantum::DetectionEvents& events) {
  ShotCounts counts;
  counts.shots = static_cast<std::int64_t>(events.shots);
  counts.detection_events = static_cast<std::int64_t>(events.detectors.size());
  for (std::size_t s = 0; s < events.shots; ++s) {
    const std::uint32_t begin = events.offsets[s];
    const std::uint32_t end = events.offsets[s + 1];
    if (begin == end) {
      // The fast path: no detection event, no correction.
      ++counts.quiet_shots;
      counts.errors += events.observables[s] != 0 ? 1 : 0;
      continue;
    }
    const std::uint64_t predicted = decoder.decode(events.fired(s));
    counts.errors += predicted != events.observables[s] ? 1 : 0;
  }
  return counts;
}

ShotCounts MemoryExperiment::run(std::int64_t shots, runtime::Rng& rng) {
  ShotCounts total;
  const auto batch = static_cast<std::int64_t>(simulator_.batch_shots());
  for (std::int64_t done = 0; done < shots; done += batch) {
    const std::int64_t n = std::min(batch, shots - done);
    simulator_.sample(static_cast<std::size_t>(n), rng, events_);
    const ShotCounts c = decode_and_count(*decoder_, events_);
    total.shots += c.shots;
    total.errors += c.errors;
    total.detection_events += c.detection_events;
    total.quiet_shots += c.quiet_shots;
  }
  return total;
}

}  // namespace tessera::jobs::qec
