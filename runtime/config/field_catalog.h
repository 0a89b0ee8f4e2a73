#pragma once

// FieldCatalog: lists a config's options with their defaults and docs, for
// `tessera jobs` and the docs.

#include <string>
#include <vector>

#include "runtime/config/fields.h"

namespace tessera::config {

struct FieldInfo {
  std::string key;       // dotted path; list elements appear as "layers[]."
  std::string value;     // default, as YAML text
  std::string doc;       // one line
  std::string rule;      // e.g. "must be > 0", "" if none
};

class FieldCatalog final : public Fields {
 public:
  explicit FieldCatalog(std::string prefix = {}) : prefix_(std::move(prefix)) {}
  const std::vector<FieldInfo>& fields() const { return fields_; }

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
  std::string prefix_;
  std::vector<FieldInfo> fields_;
};

}  // namespace tessera::config
