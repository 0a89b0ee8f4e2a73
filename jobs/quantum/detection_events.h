#pragma once

// DetectionEvents: what a batch of shots produced, kept sparse: per shot the
// ascending list of detectors that fired and the mask of flipped observables.
// At low noise most shots fire nothing, so this is far smaller than a dense
// shots x detectors bit table and is what decoders consume directly.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tessera::jobs::quantum {

struct DetectionEvents {
  std::size_t shots = 0;
  std::vector<std::uint32_t> offsets;      // shots + 1 entries into `detectors`
  std::vector<std::uint32_t> detectors;    // fired detectors, ascending within a shot
  std::vector<std::uint64_t> observables;  // per shot: bit i set = observable i flipped

  std::span<const std::uint32_t> fired(std::size_t shot) const {
    return {detectors.data() + offsets[shot], detectors.data() + offsets[shot + 1]};
  }
};

}  // namespace tessera::jobs::quantum
