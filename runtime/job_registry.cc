#include "runtime/job_registry.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/config/yaml_reader.h"
#include "runtime/config/yaml_writer.h"
#include "runtime/error.h"

namespace tessera::runtime {

void JobRegistry::add(JobKind kind) {
  if (find(kind.name) != nullptr) {
    throw InternalError(fmt::format("job kind '{}' registered twice", kind.name));
  }
  kinds_.push_back(std::move(kind));
}

const JobKind* JobRegistry::find(std::string_view name) const {
  for (const JobKind& kind : kinds_) {
    if (kind.name == name) {
      return &kind;
    }
  }
  return nullptr;
}

std::vector<const JobKind*> JobRegistry::kinds() const {
  std::vector<const JobKind*> out;
  for (const JobKind& kind : kinds_) {
    out.push_back(&kind);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

ResolvedJob resolve_job(const config::ConfigDocument& doc, const JobRegistry& registry) {
  ResolvedJob resolved;
  std::vector<ConfigIssue> issues;
  config::YamlReader reader(doc.root, doc.file, "", issues);
  resolved.spec.fields(reader);
  if (!resolved.spec.job.empty()) {
    resolved.kind = registry.find(resolved.spec.job);
    if (resolved.kind == nullptr) {
      std::vector<std::string> names;
      for (const JobKind* kind : registry.kinds()) {
        names.push_back(kind->name);
      }
      std::string suggestion = config::nearest_key(resolved.spec.job, names);
      reader.issue("job", suggestion.empty()
                              ? fmt::format("unknown job kind; known: {}", fmt::join(names, ", "))
                              : fmt::format("unknown job kind; did you mean '{}'?", suggestion));
    }
  }
  if (resolved.kind != nullptr) {
    resolved.config = resolved.kind->make_config();
    resolved.config->fields(reader);
    reader.finish();  // unknown keys only make sense once the kind is known
  }
  if (!issues.empty()) {
    std::stable_sort(issues.begin(), issues.end(),
                     [](const ConfigIssue& a, const ConfigIssue& b) { return a.line < b.line; });
    throw ConfigError(std::move(issues));
  }
  resolved.spec.resolve_defaults();
  config::YamlWriter writer;
  resolved.spec.fields(writer);
  resolved.config->fields(writer);
  resolved.yaml = config::to_yaml_text(writer.node());
  return resolved;
}

ResolvedJob resolve_job_file(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides,
                             const JobRegistry& registry) {
  config::ConfigDocument doc = config::load_config_file(file);
  config::apply_overrides(doc, overrides);
  return resolve_job(doc, registry);
}

}  // namespace tessera::runtime
