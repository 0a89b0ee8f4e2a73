#pragma once

// JobRegistry: job kinds by name, and turning a YAML document into a
// resolved, validated job.
//
// main owns the registry; each job kind adds itself through a register_*()
// function of jobs/ (no static initialisers, no global registry).

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/config/config_document.h"
#include "runtime/job.h"

namespace tessera::runtime {

struct JobKind {
  std::string name;      // what `job:` says
  std::string summary;   // one line for `tessera jobs`
  std::function<std::unique_ptr<JobConfig>()> make_config;
  std::function<std::unique_ptr<Job>(const JobConfig&)> make_job;
};

class JobRegistry {
 public:
  // Registers ConfigT (a JobConfig) and JobT (constructible from const ConfigT&).
  template <class ConfigT, class JobT>
  void add(std::string name, std::string summary) {
    static_assert(std::is_base_of_v<JobConfig, ConfigT>);
    add(JobKind{std::move(name), std::move(summary),
                [] { return std::make_unique<ConfigT>(); },
                [](const JobConfig& config) -> std::unique_ptr<Job> {
                  return std::make_unique<JobT>(static_cast<const ConfigT&>(config));
                }});
  }
  // Throws InternalError if the name is taken.
  void add(JobKind kind);

  // nullptr when no kind has this name.
  const JobKind* find(std::string_view name) const;
  // All kinds, sorted by name.
  std::vector<const JobKind*> kinds() const;

 private:
  std::vector<JobKind> kinds_;
};

// A validated job: its header, its kind, its typed config, and the resolved
// YAML (every field, defaults included).
struct ResolvedJob {
  JobSpec spec;
  const JobKind* kind = nullptr;
  std::unique_ptr<JobConfig> config;
  std::string yaml;
};

// Parses `doc` against the header and the kind named by `job:`. Throws a
// ConfigError listing every problem at once (unknown kind, unknown keys with
// suggestions, wrong types, broken rules).
ResolvedJob resolve_job(const config::ConfigDocument& doc, const JobRegistry& registry);

// Loads `file`, applies the key=value `overrides`, and resolves the job.
ResolvedJob resolve_job_file(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides,
                             const JobRegistry& registry);

}  // namespace tessera::runtime
