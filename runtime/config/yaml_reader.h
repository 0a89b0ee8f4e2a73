#pragma once

// YamlReader: fills a config struct from a YAML map, collecting every problem
// (wrong type, rule broken, unknown key) as a ConfigIssue with file, line,
// key path and value, instead of stopping at the first.

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "runtime/config/fields.h"
#include "runtime/error.h"

namespace tessera::config {

class YamlReader final : public Fields {
 public:
  // Reads the map `node` that lives at `prefix` ("" for the document root,
  // else "optim.") in `file`; issues are appended to `issues`.
  YamlReader(YAML::Node node, std::string file, std::string prefix, std::vector<ConfigIssue>& issues);

  // Reports the keys of this map that no declared field claimed, each with the
  // nearest declared key as a suggestion. Call after visiting every field.
  void finish();

  void raw(std::string_view key, YAML::Node& node, std::string_view doc) override;
  void issue(std::string_view key, std::string_view rule) override;
  bool parsing() const override { return true; }

 protected:
  void value_field(std::string_view key,
                   Ref ref,
                   std::string_view doc,
                   const Check& check,
                   std::string_view rule_text) override;
  void section(std::string_view key,
               std::string_view doc,
               const std::function<void(Fields&)>& body) override;
  void section_list(std::string_view key, std::string_view doc, SectionList& list) override;

 private:
  // Line of `key`'s value, or of this map when the key is absent.
  int line_of(std::string_view key) const;
  void add_issue(std::string_view key, const YAML::Node& value, std::string rule);

  YAML::Node node_;
  std::string file_;
  std::string prefix_;
  std::vector<ConfigIssue>& issues_;
  std::vector<std::string> declared_;
};

// The declared key closest to `key` by edit distance, or "" when none is close.
std::string nearest_key(std::string_view key, const std::vector<std::string>& declared);

// "1:2" for a YAML value, for error messages.
std::string yaml_text(const YAML::Node& node);

}  // namespace tessera::config
