#include "runtime/config/config_document.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::config {
namespace {

// A copy of `node` built in memory, so it carries no file position: errors
// about it then say "<command line>" instead of a line of the override text.
YAML::Node without_marks(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return YAML::Node(node.Scalar());
    case YAML::NodeType::Sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const YAML::Node& item : node) {
        out.push_back(without_marks(item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      YAML::Node out(YAML::NodeType::Map);
      for (const auto& entry : node) {
        out[entry.first.Scalar()] = without_marks(entry.second);
      }
      return out;
    }
    default:
      return YAML::Node(YAML::NodeType::Null);
  }
}

}  // namespace

ConfigDocument load_config_file(const std::filesystem::path& path) {
  ConfigDocument doc{path.string(), {}};
  std::ifstream in(path);
  if (!in) {
    throw ConfigError({ConfigIssue{.file = doc.file, .rule = "cannot open the config file: " +
                                                             system_message(errno)}});
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    doc.root = YAML::Load(text.str());
  } catch (const YAML::ParserException& e) {
    throw ConfigError({ConfigIssue{.file = doc.file,
                                   .line = e.mark.line + 1,
                                   .rule = "invalid YAML: " + e.msg}});
  }
  if (doc.root.IsNull()) {
    doc.root = YAML::Node(YAML::NodeType::Map);
  }
  if (!doc.root.IsMap()) {
    throw ConfigError({ConfigIssue{.file = doc.file,
                                   .line = doc.root.Mark().line + 1,
                                   .rule = "the top level must be a map of settings (job: ..., name: ...)"}});
  }
  return doc;
}

void apply_overrides(ConfigDocument& doc, const std::vector<std::string>& overrides) {
  std::vector<ConfigIssue> issues;
  for (const std::string& text : overrides) {
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      issues.push_back({"<command line>", 0, text, {}, "an override is key.sub=value"});
      continue;
    }
    std::string path = text.substr(0, eq);
    YAML::Node value;
    try {
      value = without_marks(YAML::Load(text.substr(eq + 1)));
    } catch (const YAML::ParserException& e) {
      issues.push_back({"<command line>", 0, path, text.substr(eq + 1), "invalid YAML value: " + e.msg});
      continue;
    }
    // Walk to the parent map, creating maps as needed. yaml-cpp nodes are
    // handles, so assigning through `node` edits the document.
    std::vector<std::string> parts;
    std::stringstream split(path);
    for (std::string part; std::getline(split, part, '.');) {
      parts.push_back(part);
    }
    YAML::Node node = doc.root;
    bool ok = true;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node child = node[parts[i]];
      if (!child.IsDefined() || child.IsNull()) {
        node[parts[i]] = YAML::Node(YAML::NodeType::Map);
        child = node[parts[i]];
      } else if (!child.IsMap()) {
        issues.push_back({"<command line>", 0, path, text.substr(eq + 1),
                          fmt::format("'{}' is not a map of settings", parts[i])});
        ok = false;
        break;
      }
      node.reset(child);
    }
    if (ok && !parts.empty() && !parts.back().empty()) {
      node[parts.back()] = value;
    } else if (ok) {
      issues.push_back({"<command line>", 0, text, {}, "an override is key.sub=value"});
    }
  }
  if (!issues.empty()) {
    throw ConfigError(std::move(issues));
  }
}

}  // namespace tessera::config
