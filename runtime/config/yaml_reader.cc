#include "runtime/config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace tessera::config {
namespace {

// Each convert() returns "" on success, else what was expected.

template <class Int>
std::string convert_integer(const YAML::Node& node, Int& out, std::string_view what) {
  if (!node.IsScalar()) {
    return fmt::format("expected {}", what);
  }
  const std::string& text = node.Scalar();
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size()) {
    out = value;
    return {};
  }
  // Accept integral floating spellings such as 1e6 or 2.0.
  double d = 0;
  auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (dec == std::errc() && dend == text.data() + text.size() && std::trunc(d) == d &&
      d >= static_cast<double>(std::numeric_limits<Int>::lowest()) &&
      d <= static_cast<double>(std::numeric_limits<Int>::max())) {
    out = static_cast<Int>(d);
    return {};
  }
  return fmt::format("expected {}", what);
}

std::string convert(const YAML::Node& node, int& out) {
  return convert_integer(node, out, "an integer");
}
std::string convert(const YAML::Node& node, std::int64_t& out) {
  return convert_integer(node, out, "an integer");
}
std::string convert(const YAML::Node& node, std::uint64_t& out) {
  return convert_integer(node, out, "a non-negative integer");
}

std::string convert(const YAML::Node& node, bool& out) {
  try {
    if (node.IsScalar()) {
      out = node.as<bool>();
      return {};
    }
  } catch (const YAML::Exception&) {  // NOLINT(bugprone-empty-catch): reported below
  }
  return "expected true or false";
}

std::string convert(const YAML::Node& node, double& out) {
  try {
    if (node.IsScalar()) {
      out = node.as<double>();
      return {};
    }
  } catch (const YAML::Exception&) {  // NOLINT(bugprone-empty-catch): reported below
  }
  return "expected a number";
}

std::string convert(const YAML::Node& node, std::string& out) {
  if (!node.IsScalar()) {
    return "expected a string";
  }
  out = node.Scalar();
  return {};
}

std::string convert(const YAML::Node& node, Seconds& out) {
  if (node.IsScalar()) {
    if (auto d = parse_duration(node.Scalar())) {
      out = *d;
      return {};
    }
  }
  return "expected a duration such as 90s, 10min, 2h or a number of seconds";
}

template <class T>
std::string convert(const YAML::Node& node, std::vector<T>& out) {
  if (!node.IsSequence()) {
    return "expected a list";
  }
  std::vector<T> values(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    std::string error = convert(node[i], values[i]);
    if (!error.empty()) {
      return fmt::format("element {}: {}", i, error);
    }
  }
  out = std::move(values);
  return {};
}

template <class T>
std::string convert(const YAML::Node& node, std::optional<T>& out) {
  if (node.IsNull()) {
    out.reset();
    return {};
  }
  T value{};
  std::string error = convert(node, value);
  if (error.empty()) {
    out = std::move(value);
  }
  return error;
}

template <class T>
bool is_optional(const T& /*unused*/) {
  return false;
}
template <class T>
bool is_optional(const std::optional<T>& /*unused*/) {
  return true;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string nearest_key(std::string_view key, const std::vector<std::string>& declared) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 3) + 1;
  for (const std::string& candidate : declared) {
    std::size_t d = edit_distance(key, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string yaml_text(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) {
    return {};
  }
  if (node.IsScalar()) {
    return node.Scalar();
  }
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

YamlReader::YamlReader(YAML::Node node, std::string file, std::string prefix,
                       std::vector<ConfigIssue>& issues)
    : node_(std::move(node)), file_(std::move(file)), prefix_(std::move(prefix)), issues_(issues) {}

int YamlReader::line_of(std::string_view key) const {
  // A value set on the command line has no position (mark line -1): report 0.
  YAML::Node value = node_.IsMap() ? node_[std::string(key)] : YAML::Node();
  YAML::Mark mark = value.IsDefined() ? value.Mark() : node_.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

void YamlReader::add_issue(std::string_view key, const YAML::Node& value, std::string rule) {
  int line = line_of(key);
  // Values set on the command line carry no position in any file.
  bool from_file = line > 0 || file_.empty();
  issues_.push_back(ConfigIssue{.file = from_file ? file_ : "<command line>",
                                .line = line,
                                .key = prefix_ + std::string(key),
                                .value = yaml_text(value),
                                .rule = std::move(rule)});
}

void YamlReader::value_field(std::string_view key, Ref ref, std::string_view /*doc*/,
                             const Check& check, std::string_view /*rule_text*/) {
  declared_.emplace_back(key);
  YAML::Node value = node_.IsMap() ? node_[std::string(key)] : YAML::Node();
  if (value.IsDefined()) {
    const bool optional = std::visit([](auto* target) { return is_optional(*target); }, ref);
    if (value.IsNull() && !optional) {
      add_issue(key, value, "has no value; remove the key to use the default");
      return;
    }
    std::string error = std::visit([&value](auto* target) { return convert(value, *target); }, ref);
    if (!error.empty()) {
      add_issue(key, value, std::move(error));
      return;
    }
  }
  std::string broken = check();
  if (!broken.empty()) {
    add_issue(key, value, std::move(broken));
  }
}

void YamlReader::section(std::string_view key, std::string_view /*doc*/,
                         const std::function<void(Fields&)>& body) {
  declared_.emplace_back(key);
  YAML::Node child = node_.IsMap() ? node_[std::string(key)] : YAML::Node();
  if (child.IsDefined() && !child.IsNull() && !child.IsMap()) {
    add_issue(key, child, "expected a map of settings");
    return;
  }
  YamlReader reader(child.IsDefined() ? child : YAML::Node(YAML::NodeType::Map), file_,
                    prefix_ + std::string(key) + ".", issues_);
  body(reader);
  reader.finish();
}

void YamlReader::section_list(std::string_view key, std::string_view /*doc*/, SectionList& list) {
  declared_.emplace_back(key);
  YAML::Node child = node_.IsMap() ? node_[std::string(key)] : YAML::Node();
  if (!child.IsDefined() || child.IsNull()) {
    return;  // keep the default list
  }
  if (!child.IsSequence()) {
    add_issue(key, child, "expected a list of maps");
    return;
  }
  list.resize(child.size());
  for (std::size_t i = 0; i < child.size(); ++i) {
    std::string prefix = fmt::format("{}{}[{}].", prefix_, key, i);
    if (!child[i].IsMap()) {
      issues_.push_back(ConfigIssue{file_, child[i].Mark().line + 1, prefix.substr(0, prefix.size() - 1),
                                    yaml_text(child[i]), "expected a map of settings"});
      continue;
    }
    YamlReader reader(child[i], file_, prefix, issues_);
    list.visit(i, reader);
    reader.finish();
  }
}

void YamlReader::raw(std::string_view key, YAML::Node& node, std::string_view /*doc*/) {
  declared_.emplace_back(key);
  if (node_.IsMap() && node_[std::string(key)].IsDefined()) {
    node = node_[std::string(key)];
  }
}

void YamlReader::issue(std::string_view key, std::string_view rule) {
  YAML::Node value = node_.IsMap() ? node_[std::string(key)] : YAML::Node();
  add_issue(key, value, std::string(rule));
}

void YamlReader::finish() {
  if (!node_.IsMap()) {
    return;
  }
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (std::find(declared_.begin(), declared_.end(), key) != declared_.end()) {
      continue;
    }
    std::string suggestion = nearest_key(key, declared_);
    std::string rule = suggestion.empty() ? "unknown key" : fmt::format("unknown key; did you mean '{}'?", suggestion);
    YAML::Mark mark = entry.first.Mark();
    issues_.push_back(ConfigIssue{.file = mark.line >= 0 || file_.empty() ? file_ : "<command line>",
                                  .line = mark.line >= 0 ? mark.line + 1 : 0,
                                  .key = prefix_ + key,
                                  .value = {},
                                  .rule = std::move(rule)});
  }
}

}  // namespace tessera::config
