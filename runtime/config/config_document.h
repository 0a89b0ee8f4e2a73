#pragma once

// Loading a config file and applying command-line overrides.

#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace tessera::config {

struct ConfigDocument {
  std::string file;  // path as the user gave it (used in error messages)
  YAML::Node root;   // a map
};

// Reads and parses `path`. Throws ConfigError naming the file (and the line
// for YAML syntax errors) when it is missing, unreadable, invalid or not a map.
ConfigDocument load_config_file(const std::filesystem::path& path);

// Applies "key.sub=value" overrides to `doc.root`; the value is parsed as
// YAML ("3", "[1, 2]", "{a: 1}", "true"). Intermediate maps are created.
// Throws ConfigError listing every malformed override.
void apply_overrides(ConfigDocument& doc, const std::vector<std::string>& overrides);

}  // namespace tessera::config
