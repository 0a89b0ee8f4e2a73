#include "runtime/config/yaml_writer.h"

namespace tessera::config {
namespace {

template <class T>
YAML::Node to_node(const T& value) {
  return YAML::Node(value);
}
YAML::Node to_node(const Seconds& value) { return YAML::Node(format_duration(value)); }
template <class T>
YAML::Node to_node(const std::vector<T>& values) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const T& v : values) {
    list.push_back(to_node(v));
  }
  list.SetStyle(YAML::EmitterStyle::Flow);
  return list;
}
template <class T>
YAML::Node to_node(const std::optional<T>& value) {
  return value ? to_node(*value) : YAML::Node(YAML::NodeType::Null);
}

}  // namespace

void YamlWriter::value_field(std::string_view key, Ref ref, std::string_view /*doc*/,
                             const Check& /*check*/, std::string_view /*rule_text*/) {
  node_[std::string(key)] = std::visit([](auto* value) { return to_node(*value); }, ref);
}

void YamlWriter::section(std::string_view key, std::string_view /*doc*/,
                         const std::function<void(Fields&)>& body) {
  YamlWriter child;
  body(child);
  node_[std::string(key)] = child.node_;
}

void YamlWriter::section_list(std::string_view key, std::string_view /*doc*/, SectionList& list) {
  YAML::Node items(YAML::NodeType::Sequence);
  for (std::size_t i = 0; i < list.size(); ++i) {
    YamlWriter child;
    list.visit(i, child);
    items.push_back(child.node_);
  }
  node_[std::string(key)] = items;
}

void YamlWriter::raw(std::string_view key, YAML::Node& node, std::string_view /*doc*/) {
  if (node.IsDefined() && !node.IsNull()) {
    node_[std::string(key)] = YAML::Clone(node);
  }
}

std::string to_yaml_text(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

}  // namespace tessera::config
