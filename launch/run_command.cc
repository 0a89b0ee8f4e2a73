// tessera run JOB.yaml [key=value ...]: run a job on every rank.

#include <memory>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "launch/cli.h"
#include "runtime/session.h"
#include "runtime/build_config.h"
#include "runtime/error.h"
#include "runtime/log.h"

namespace tessera::launch {
namespace {

struct RunOptions {
  std::string config;
  std::vector<std::string> overrides;
};

// Every rank resolves the config. If any rank fails, the lowest failing rank
// prints its errors and every rank returns nullopt, so nothing runs and no
// rank waits on another.
std::optional<runtime::ResolvedJob> resolve_on_every_rank(const RunOptions& options, const Cli& cli,
                                                          runtime::Coordinator& coordinator) {
  std::optional<runtime::ResolvedJob> job;
  std::string error;
  try {
    job = runtime::resolve_job_file(options.config, options.overrides, cli.registry);
  } catch (const ConfigError& e) {
    error = e.what();
  }
  const int size = coordinator.size();
  const std::int64_t lowest_failing =
      size - coordinator.all_reduce_max(error.empty() ? 0 : size - coordinator.rank());
  if (lowest_failing == size) {
    return job;
  }
  if (lowest_failing == coordinator.rank()) {
    std::fprintf(stderr, "%serror: %s\n",
                 size > 1 ? fmt::format("[rank {}/{}] ", coordinator.rank(), size).c_str() : "",
                 error.c_str());
  }
  return std::nullopt;
}

int run_job(const RunOptions& options, Cli& cli) {
  std::unique_ptr<runtime::Session> session = runtime::Session::start(cli.argc, cli.argv);
  runtime::LaunchInfo& launch = session->launch();
  if (session->mpi() == nullptr && launch.size > 1) {
    throw ConfigError(fmt::format("{} started {} processes that MPI cannot connect: {}",
                                  runtime::launcher_name(launch.launcher), launch.size,
                                  fmt::join(launch.warnings, "; ")));
  }
  runtime::Coordinator& coordinator = session->coordinator();
  std::optional<runtime::ResolvedJob> job = resolve_on_every_rank(options, cli, coordinator);
  if (!job) {
    return kExitBadConfig;
  }
  const runtime::JobSpec& spec = job->spec;
  runtime::configure_logging(
      {.rank = launch.rank, .size = launch.size, .level = spec.runtime.log_level});

  runtime::RunDir run_dir = runtime::RunDir::create(spec.output.dir, job->yaml, coordinator);
  runtime::add_log_file(run_dir.log_file(launch.rank));
  runtime::MetricsWriter metrics = launch.rank == 0
                                       ? runtime::MetricsWriter(run_dir.metrics_file(),
                                                                spec.output.metrics_flush)
                                       : runtime::MetricsWriter();
  metrics.set_metadata("job", spec.job);
  metrics.set_metadata("config", job->yaml);

  spdlog::info("tessera {}: job '{}' ({}) on {} rank{} via {}, run directory {}{}", TESSERA_VERSION,
               spec.name, spec.job, launch.size, launch.size == 1 ? "" : "s",
               runtime::launcher_name(launch.launcher), run_dir.root().string(),
               launch.restart_count > 0 ? fmt::format(", Slurm restart {}", launch.restart_count) : "");
  for (const std::string& warning : launch.warnings) {
    spdlog::warn("launch: {}", warning);
  }

  std::unique_ptr<runtime::Job> instance = job->kind->make_job(*job->config);
  runtime::JobContext context{spec, launch, coordinator, run_dir, metrics};
  instance->run(context);
  metrics.flush();
  coordinator.barrier();
  spdlog::info("job '{}' finished", spec.name);
  return kExitOk;
}

}  // namespace

void add_run_command(CLI::App& app, Cli& cli) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand(
      "run", "Run a job on every rank (under mpirun/srun, or alone for one rank)");
  command->add_option("config", options->config, "job YAML file")->required();
  command->add_option("overrides", options->overrides, "key.sub=value overrides");
  command->callback([&cli, options] { cli.action = [&cli, options] { return run_job(*options, cli); }; });
}

}  // namespace tessera::launch
