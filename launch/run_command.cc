// tessera run JOB.yaml [key=value ...]: run a job on every rank.

#include <memory>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "launch/cli.h"
#include "runtime/build_config.h"
#include "runtime/checkpoint/checkpoint_store.h"
#include "runtime/error.h"
#include "runtime/log.h"
#include "runtime/session.h"
#include "runtime/slurm_job.h"
#include "runtime/stop_signal.h"

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

// The deadline of checkpoint.before_time_limit: the Slurm job's end time
// (from the environment, else asked of squeue by rank 0) minus the margin.
runtime::StopOptions stop_options(const runtime::CheckpointConfig& config,
                                  const runtime::LaunchInfo& launch,
                                  runtime::Coordinator& coordinator) {
  runtime::StopOptions options;
  options.check_every = config.stop_check_every;
  if (config.before_time_limit.count() <= 0) {
    return options;
  }
  std::int64_t end = launch.job_end_time;
  if (end == 0 && coordinator.rank() == 0 && !launch.job_id.empty()) {
    if (auto left = runtime::query_slurm_time_left(launch.job_id)) {
      end = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch() + *left)
                .count();
    }
  }
  end = std::stoll(coordinator.broadcast(std::to_string(end), 0));
  if (end == 0) {
    spdlog::info("checkpoint.before_time_limit: the job's end time is unknown (not a Slurm job with a "
                 "time limit); no time-limit stop");
    return options;
  }
  options.deadline = std::chrono::system_clock::time_point(std::chrono::seconds(end)) -
                     std::chrono::duration_cast<std::chrono::seconds>(config.before_time_limit);
  spdlog::info("checkpoint.before_time_limit: will stop {} before the job's end",
               config::format_duration(config.before_time_limit));
  return options;
}

// After a stop: the checkpoint is on disk; ask Slurm to requeue if wanted.
int finish_stopped(const runtime::JobSpec& spec, const runtime::LaunchInfo& launch,
                   const runtime::StopSignal& stop, const runtime::CheckpointStore& checkpoints) {
  if (checkpoints.last_step() != stop.stop_step()) {
    spdlog::warn("job kind '{}' stopped after step {} without saving a checkpoint of that step",
                 spec.job, stop.stop_step());
  }
  if (spec.checkpoint.requeue_on_signal && launch.rank == 0) {
    if (launch.requeue_id.empty()) {
      spdlog::warn("checkpoint.requeue_on_signal: not a Slurm job; not requeued");
    } else {
      runtime::CommandOutcome outcome = runtime::requeue_slurm_job(launch.requeue_id);
      if (outcome.exit_code == 0) {
        spdlog::info("requeued Slurm job {}", launch.requeue_id);
      } else {
        spdlog::error("scontrol requeue {} failed ({}): {}", launch.requeue_id, outcome.exit_code,
                      outcome.output);
      }
    }
  }
  spdlog::info("job '{}' stopped after step {} ({}); resume with the same command", spec.name,
               stop.stop_step(), stop.describe());
  // A requeue makes Slurm end the job's processes at once (SIGTERM, then
  // SIGKILL): what the log has buffered must be on disk before that.
  runtime::flush_logs();
  return kExitStopped;
}

int run_job(const RunOptions& options, Cli& cli) {
  std::unique_ptr<runtime::Session> session = runtime::Session::start(cli.argc, cli.argv);
  runtime::LaunchInfo& launch = session->launch();
  if (session->mpi() == nullptr && launch.size > 1) {
    // Unconnected processes all see the same problem: the first one says it.
    if (launch.rank == 0) {
      std::fprintf(stderr, "error: %s started %d processes that MPI cannot connect: %s\n",
                   std::string(runtime::launcher_name(launch.launcher)).c_str(), launch.size,
                   fmt::format("{}", fmt::join(launch.warnings, "; ")).c_str());
    }
    return kExitBadConfig;
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
               launch.in_slurm_allocation
                   ? fmt::format(", Slurm job {} restart {}", launch.job_id, launch.restart_count)
                   : "");
  for (const std::string& warning : launch.warnings) {
    spdlog::warn("launch: {}", warning);
  }

  // Signals first, so a stop that arrives while resuming is not lost.
  runtime::StopSignal stop(coordinator, stop_options(spec.checkpoint, launch, coordinator));
  runtime::CheckpointStore checkpoints(
      run_dir.checkpoints_dir(), coordinator, spec.checkpoint,
      {spec.job, spec.name, job->yaml, job->config->resume_may_change()});
  if (const runtime::Checkpoint* resumed = checkpoints.resume()) {
    metrics.truncate_after(resumed->step());  // the series continue exactly from the checkpoint
    metrics.set_metadata("resumed_from", resumed->path().filename().string());
  }

  std::unique_ptr<runtime::Job> instance = job->kind->make_job(*job->config);
  runtime::JobContext context{spec, launch, coordinator, run_dir, metrics, checkpoints, stop};
  instance->run(context);
  checkpoints.wait();  // an async write in flight must land before we exit
  metrics.flush();
  coordinator.barrier();
  if (stop.stopping()) {
    return finish_stopped(spec, launch, stop, checkpoints);
  }
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
