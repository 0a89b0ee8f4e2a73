#pragma once

// Decoder: predicts which observables flipped from the detectors that fired.
//
//   auto decoder = make_decoder("mwpm", graph);
//   std::uint64_t predicted = decoder->decode(events.fired(shot));
//   bool logical_error = predicted != events.observables[shot];
//
// Decoders: "mwpm" (exact minimum-weight perfect matching, MwpmDecoder) and
// "union_find" (Delfosse & Nickerson's almost-linear decoder,
// UnionFindDecoder). A shot with no fired detector costs nothing in either.
// A decoder keeps per-shot scratch state: not thread-safe, one per thread;
// the MatchingGraph must outlive it.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "jobs/quantum/matching_graph.h"

namespace tessera::jobs::quantum {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // `fired`: distinct detector indices, ascending. Returns the predicted
  // observable flips (bit i = observable i).
  virtual std::uint64_t decode(std::span<const std::uint32_t> fired) = 0;
};

// The decoder names make_decoder accepts.
const std::vector<std::string_view>& decoder_names();

// Throws ConfigError for an unknown name or a graph the decoder cannot use.
std::unique_ptr<Decoder> make_decoder(std::string_view name, const MatchingGraph& graph);

}  // namespace tessera::jobs::quantum
