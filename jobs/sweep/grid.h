#pragma once

// Grid expansion and task identity.
//
//   grid: {distance: [3, 5], p: [0.001, 0.002], basis: z}
//   grid: [{distance: [3, 5], rounds: 10}, {distance: 7, rounds: [10, 50]}]
//
// A map expands to the product of its values (a scalar is a list of one);
// the first key varies slowest, the last fastest. A list of maps is the union
// of their products, in order. Scalars become JSON numbers when YAML reads
// them as numbers, booleans for true/false, else strings.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace tessera::jobs::sweep {

struct GridPoint {
  nlohmann::json params;  // an object: key -> scalar
  int line = 0;           // the grid block's line in the YAML file (1-based; 0 unknown)
};

// Throws ConfigError naming the line when the grid is not a map or a list of
// maps of scalars / lists of scalars, or is empty.
std::vector<GridPoint> expand_grid(const YAML::Node& grid);

// The task's strong id: 32 hex digits of XXH3-128 over
// "tessera-sweep-1\n<job kind>\n<params as canonical JSON (sorted keys)>".
std::string strong_id(std::string_view job_kind, const nlohmann::json& params);

}  // namespace tessera::jobs::sweep
