#pragma once

// The keys on which two resolved configs differ: what makes a checkpoint
// incompatible with the run that wants to resume from it.

#include <string>
#include <string_view>
#include <vector>

namespace tessera::runtime {

struct ConfigDifference {
  std::string key;      // dotted path, "model.layers"
  std::string saved;    // value in the checkpoint's config ("<absent>" if none)
  std::string current;  // value in this run's config
};

// Keys whose values differ between two YAML documents, sorted, skipping keys
// under any of `ignored` ("checkpoint" skips "checkpoint.keep"). Sequences
// compare as a whole. Throws ConfigError when a document is not YAML.
std::vector<ConfigDifference> diff_configs(std::string_view saved_yaml, std::string_view current_yaml,
                                           const std::vector<std::string>& ignored = {});

// "model.layers: [784, 30] in the checkpoint, [784, 64] now; seed: 1 ..., 2 now".
std::string describe(const std::vector<ConfigDifference>& differences);

}  // namespace tessera::runtime
