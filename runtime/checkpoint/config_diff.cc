#include "runtime/checkpoint/config_diff.h"

#include <map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

constexpr std::string_view kAbsent = "<absent>";

std::string flow(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

void flatten(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      flatten(item.second, prefix.empty() ? key : prefix + "." + key, out);
    }
    return;
  }
  out[prefix] = node.IsScalar() ? node.Scalar() : flow(node);
}

std::map<std::string, std::string> flat(std::string_view yaml, std::string_view which) {
  std::map<std::string, std::string> out;
  try {
    flatten(YAML::Load(std::string(yaml)), "", out);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{} config is not YAML: {}", which, e.what()));
  }
  return out;
}

bool is_ignored(const std::string& key, const std::vector<std::string>& ignored) {
  for (const std::string& prefix : ignored) {
    if (key == prefix || (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
                          key[prefix.size()] == '.')) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<ConfigDifference> diff_configs(std::string_view saved_yaml, std::string_view current_yaml,
                                           const std::vector<std::string>& ignored) {
  std::map<std::string, std::string> saved = flat(saved_yaml, "the checkpoint's");
  std::map<std::string, std::string> current = flat(current_yaml, "this run's");
  std::vector<ConfigDifference> out;
  auto differ = [&](const std::string& key) {
    if (is_ignored(key, ignored)) {
      return;
    }
    auto s = saved.find(key);
    auto c = current.find(key);
    std::string sv = s == saved.end() ? std::string(kAbsent) : s->second;
    std::string cv = c == current.end() ? std::string(kAbsent) : c->second;
    if (sv != cv) {
      out.push_back({key, std::move(sv), std::move(cv)});
    }
  };
  for (const auto& [key, value] : saved) {
    differ(key);
  }
  for (const auto& [key, value] : current) {
    if (!saved.contains(key)) {
      differ(key);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

std::string describe(const std::vector<ConfigDifference>& differences) {
  std::string text;
  for (const ConfigDifference& d : differences) {
    text += fmt::format("{}{}: {} in the checkpoint, {} now", text.empty() ? "" : "; ", d.key, d.saved,
                        d.current);
  }
  return text;
}

}  // namespace tessera::runtime
