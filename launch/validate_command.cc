// tessera validate JOB.yaml [key=value ...]: the resolved config, or every error.

#include <cstdio>
#include <memory>

#include "launch/cli.h"
#include "runtime/error.h"

namespace tessera::launch {
namespace {

struct ValidateOptions {
  std::string config;
  std::vector<std::string> overrides;
};

int validate(const ValidateOptions& options, const Cli& cli) {
  try {
    runtime::ResolvedJob job = runtime::resolve_job_file(options.config, options.overrides, cli.registry);
    std::fputs(job.yaml.c_str(), stdout);
    return kExitOk;
  } catch (const ConfigError& e) {
    const auto& issues = e.issues();
    std::fprintf(stderr, "%s: %zu problem%s\n", options.config.c_str(), issues.size(),
                 issues.size() == 1 ? "" : "s");
    for (const ConfigIssue& issue : issues) {
      std::fprintf(stderr, "  %s\n", issue.to_string().c_str());
    }
    return kExitBadConfig;
  }
}

}  // namespace

void add_validate_command(CLI::App& app, Cli& cli) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* command = app.add_subcommand(
      "validate", "Check a job config: print it resolved (defaults included) or list every error");
  command->add_option("config", options->config, "job YAML file")->required();
  command->add_option("overrides", options->overrides, "key.sub=value overrides");
  command->callback([&cli, options] { cli.action = [&cli, options] { return validate(*options, cli); }; });
}

}  // namespace tessera::launch
