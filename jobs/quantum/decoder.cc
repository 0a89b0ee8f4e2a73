#include "jobs/quantum/decoder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "jobs/quantum/mwpm_decoder.h"
#include "jobs/quantum/union_find_decoder.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {

const std::vector<std::string_view>& decoder_names() {
  static const std::vector<std::string_view> names{"mwpm", "union_find"};
  return names;
}

std::unique_ptr<Decoder> make_decoder(std::string_view name, const MatchingGraph& graph) {
  if (name == "mwpm") {
    return std::make_unique<MwpmDecoder>(graph);
  }
  if (name == "union_find") {
    return std::make_unique<UnionFindDecoder>(graph);
  }
  throw ConfigError(fmt::format("unknown decoder '{}' (known: {})", name, fmt::join(decoder_names(), ", ")));
}

}  // namespace tessera::jobs::quantum
