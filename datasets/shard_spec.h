#pragma once

// Shard specs: how a config names its shards.
//
//   data/train-{000000..000127}.tar     a range; zero padding is kept
//   data/{train,val}-{0..3}.tar          lists and several braces (nested too)
//   data/a-{0..10..2}.tar                a range with a step
//   a/{0..1}.tar::b/{0..1}.tar           several specs joined by "::"
//   @shards.txt                          a file listing shards, one spec per line
//                                        (# comments; relative paths are taken
//                                        relative to the list file's directory)
//   http://host:8000/s-{0..9}.tar, pipe:curl -s http://h/s-{0..9}.tar
//
// Expansion keeps the written order; duplicates are kept (they are read twice).

#include <string>
#include <string_view>
#include <vector>

namespace tessera::datasets {

// Expands `spec` into shard URLs. Throws ConfigError on unbalanced braces, a
// bad range or an unreadable list file, and when nothing is left.
std::vector<std::string> expand_shard_spec(std::string_view spec);

// Brace expansion of a single pattern (no "::", no "@file").
std::vector<std::string> expand_braces(std::string_view pattern);

}  // namespace tessera::datasets
