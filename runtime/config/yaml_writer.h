#pragma once

// YamlWriter: turns a config struct back into YAML, every field included
// (defaults too), in declaration order. This is the "resolved config" written
// into the run directory and into every checkpoint.

#include <yaml-cpp/yaml.h>

#include "runtime/config/fields.h"

namespace tessera::config {

class YamlWriter final : public Fields {
 public:
  YamlWriter() : node_(YAML::NodeType::Map) {}
  const YAML::Node& node() const { return node_; }

  void raw(std::string_view key, YAML::Node& node, std::string_view doc) override;

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
  YAML::Node node_;
};

// Block-style YAML text of `node`.
std::string to_yaml_text(const YAML::Node& node);

}  // namespace tessera::config
