// tessera jobs [KIND]: the registered job kinds with their options and defaults.

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "launch/cli.h"
#include "runtime/config/field_catalog.h"
#include "runtime/error.h"

namespace tessera::launch {
namespace {

void print_fields(const std::vector<config::FieldInfo>& fields) {
  std::size_t width = 0;
  for (const config::FieldInfo& f : fields) {
    width = std::max(width, f.key.size() + f.value.size() + 3);
  }
  for (const config::FieldInfo& f : fields) {
    std::string setting = fmt::format("{}: {}", f.key, f.value);
    std::string rule = f.rule.empty() ? "" : fmt::format(" ({})", f.rule);
    fmt::print("  {:<{}} # {}{}\n", setting, width, f.doc, rule);
  }
}

int list_jobs(const std::string& only, const Cli& cli) {
  if (!only.empty() && cli.registry.find(only) == nullptr) {
    throw ConfigError(fmt::format("no job kind '{}' (run `tessera jobs` for the list)", only));
  }
  fmt::print("Options every job has:\n");
  runtime::JobSpec spec;
  config::FieldCatalog header;
  spec.fields(header);
  print_fields(header.fields());
  for (const runtime::JobKind* kind : cli.registry.kinds()) {
    if (!only.empty() && kind->name != only) {
      continue;
    }
    fmt::print("\njob: {}  — {}\n", kind->name, kind->summary);
    config::FieldCatalog catalog;
    kind->make_config()->fields(catalog);
    print_fields(catalog.fields());
  }
  if (cli.registry.kinds().empty()) {
    fmt::print("\n(no job kinds are registered in this build)\n");
  }
  return kExitOk;
}

}  // namespace

void add_jobs_command(CLI::App& app, Cli& cli) {
  auto only = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("jobs", "List job kinds with their options and defaults");
  command->add_option("kind", *only, "show only this job kind");
  command->callback([&cli, only] { cli.action = [&cli, only] { return list_jobs(*only, cli); }; });
}

}  // namespace tessera::launch
