#include "runtime/config/field_catalog.h"

#include "runtime/config/yaml_reader.h"
#include "runtime/config/yaml_writer.h"

namespace tessera::config {

void FieldCatalog::value_field(std::string_view key, Ref ref, std::string_view doc,
                               const Check& /*check*/, std::string_view rule_text) {
  // Reuse the writer's spelling of values.
  YamlWriter writer;
  std::visit([&](auto* value) { writer(key, *value, doc); }, ref);
  fields_.push_back(FieldInfo{prefix_ + std::string(key), yaml_text(writer.node()[std::string(key)]),
                              std::string(doc), std::string(rule_text)});
}

void FieldCatalog::section(std::string_view key, std::string_view /*doc*/,
                           const std::function<void(Fields&)>& body) {
  FieldCatalog child(prefix_ + std::string(key) + ".");
  body(child);
  fields_.insert(fields_.end(), child.fields_.begin(), child.fields_.end());
}

void FieldCatalog::section_list(std::string_view key, std::string_view doc, SectionList& list) {
  fields_.push_back(FieldInfo{prefix_ + std::string(key), "[]", std::string(doc), "list of maps"});
  FieldCatalog child(prefix_ + std::string(key) + "[].");
  list.visit_prototype(child);
  fields_.insert(fields_.end(), child.fields_.begin(), child.fields_.end());
}

void FieldCatalog::raw(std::string_view key, YAML::Node& node, std::string_view doc) {
  fields_.push_back(FieldInfo{prefix_ + std::string(key), yaml_text(node), std::string(doc), "free-form"});
}

}  // namespace tessera::config
