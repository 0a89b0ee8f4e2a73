// tessera submit JOB.yaml [key=value ...] [--nodes N] [--ntasks-per-node M] ...:
// validate the job, write its batch script into the run directory, sbatch it.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/batch_script.h"
#include "launch/cli.h"
#include "launch/slurm_client.h"
#include "runtime/config/config_document.h"
#include "runtime/error.h"
#include "runtime/run_dir.h"

namespace tessera::launch {
namespace {

struct SubmitOptions {
  std::string config;
  std::vector<std::string> overrides;
  std::optional<int> nodes;
  std::optional<int> ntasks_per_node;
  std::optional<int> gpus_per_node;
  std::optional<int> cpus_per_task;
  std::optional<std::string> time;
  std::optional<std::string> partition;
  std::optional<std::string> account;
  std::optional<std::string> qos;
  bool dry_run = false;
};

// The command-line Slurm options become `slurm.*` overrides, so they are
// validated (and reported) like any other key and win over the YAML.
std::vector<std::string> all_overrides(const SubmitOptions& o) {
  std::vector<std::string> out = o.overrides;
  auto add = [&out](std::string_view key, const auto& value) {
    if (value) {
      out.push_back(fmt::format("slurm.{}={}", key, *value));
    }
  };
  auto add_text = [&out](std::string_view key, const std::optional<std::string>& value) {
    if (value) {
      // Quoted, so "10:00" or "1" stays a string in YAML.
      out.push_back(fmt::format("slurm.{}=\"{}\"", key, *value));
    }
  };
  add("nodes", o.nodes);
  add("ntasks_per_node", o.ntasks_per_node);
  add("gpus_per_node", o.gpus_per_node);
  add("cpus_per_task", o.cpus_per_task);
  add_text("time", o.time);
  add_text("partition", o.partition);
  add_text("account", o.account);
  add_text("qos", o.qos);
  return out;
}

// "job.yaml a.b=1 --nodes 2": what the user asked for, for the script header.
std::string origin(const SubmitOptions& o) {
  std::string text = o.config;
  for (const std::string& override_text : o.overrides) {
    text += " " + shell_quote(override_text);
  }
  auto add = [&text](std::string_view flag, const auto& value) {
    if (value) {
      text += fmt::format(" --{} {}", flag, *value);
    }
  };
  add("nodes", o.nodes);
  add("ntasks-per-node", o.ntasks_per_node);
  add("gpus-per-node", o.gpus_per_node);
  add("cpus-per-task", o.cpus_per_task);
  add("time", o.time);
  add("partition", o.partition);
  add("account", o.account);
  add("qos", o.qos);
  return text;
}

std::filesystem::path this_executable() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    throw IoError(
        fmt::format("cannot find the tessera executable (/proc/self/exe): {}", ec.message()));
  }
  return self;
}

int print_config_errors(const std::string& file, const ConfigError& e) {
  const auto& issues = e.issues();
  std::fprintf(
      stderr,
      "%s: %zu problem%s; nothing was submitted\n",
      file.c_str(),
      issues.size(),
      issues.size() == 1 ? "" : "s");
  for (const ConfigIssue& issue : issues) {
    std::fprintf(stderr, "  %s\n", issue.to_string().c_str());
  }
  return kExitBadConfig;
}

// A submitted job should come back after a preemption or the time limit, so
// checkpoint.requeue_on_signal is on unless the YAML or an override says.
bool requeue_chosen_by_user(const std::string& file, const std::vector<std::string>& overrides) {
  config::ConfigDocument doc = config::load_config_file(file);
  config::apply_overrides(doc, overrides);
  YAML::Node checkpoint = doc.root["checkpoint"];
  return checkpoint.IsMap() && checkpoint["requeue_on_signal"].IsDefined();
}

int submit(const SubmitOptions& options, const Cli& cli) {
  std::vector<std::string> overrides = all_overrides(options);
  runtime::ResolvedJob job;
  try {
    if (!requeue_chosen_by_user(options.config, overrides)) {
      overrides.push_back("checkpoint.requeue_on_signal=true");
    }
    job = runtime::resolve_job_file(options.config, overrides, cli.registry);
    // The job may start anywhere (and be resubmitted from anywhere): pin the
    // run directory to an absolute path in the config it runs.
    std::filesystem::path dir = std::filesystem::absolute(job.spec.output.dir).lexically_normal();
    if (dir.string() != job.spec.output.dir) {
      overrides.push_back(fmt::format("output.dir=\"{}\"", dir.string()));
      job = runtime::resolve_job_file(options.config, overrides, cli.registry);
    }
  } catch (const ConfigError& e) {
    return print_config_errors(options.config, e);
  }

  const runtime::RunDir run_dir(job.spec.output.dir);
  BatchScriptInput input{
      job.spec.slurm,
      job.spec.name,
      run_dir.root(),
      run_dir.root() / "submit.yaml",
      std::filesystem::current_path(),
      this_executable(),
      origin(options)};
  std::string script = make_batch_script(input);
  if (options.dry_run) {
    std::fputs(script.c_str(), stdout);
    return kExitOk;
  }
  if (!SlurmClient::available()) {
    throw Error(
        "sbatch/scontrol not found on PATH: tessera submit needs Slurm's client commands (Debian: "
        "slurm-client). `tessera submit --dry-run` prints the batch script without submitting it");
  }

  // Two jobs writing one run directory would corrupt it.
  if (const std::string previous = last_submitted_job(run_dir.root()); !previous.empty()) {
    std::optional<SlurmJob> running = SlurmClient().job(previous);
    if (running && running->std_out == slurm_output_file(run_dir.root(), previous).string() &&
        (running->state == "PENDING" || running->state == "RUNNING" ||
         running->state == "REQUEUED" || running->state == "SUSPENDED" ||
         running->state == "COMPLETING")) {
      throw Error(fmt::format(
          "job {} of run directory {} is still {}: wait for it, cancel it (scancel {}), or "
          "submit with another output.dir",
          previous,
          run_dir.root().string(),
          running->state,
          previous));
    }
  }
  std::filesystem::create_directories(run_dir.logs_dir());
  const std::filesystem::path script_file = run_dir.root() / "submit.sh";
  runtime::write_file_atomically(input.config_file, job.yaml);
  runtime::write_file_atomically(script_file, script);
  ::chmod(script_file.c_str(), 0755);

  const std::string id = SlurmClient().submit(script_file);
  {
    std::ofstream record(submissions_file(run_dir.root()), std::ios::app);
    record << id << ' ' << fmt::format("{:%FT%T}", fmt::localtime(std::time(nullptr))) << ' '
           << origin(options) << '\n';
  }
  const runtime::SlurmConfig& s = job.spec.slurm;
  fmt::print(
      "submitted batch job {}: '{}' ({}) on {} node{} x {} rank{}{}{}\n",
      id,
      job.spec.name,
      job.spec.job,
      s.nodes,
      s.nodes == 1 ? "" : "s",
      s.ntasks_per_node,
      s.ntasks_per_node == 1 ? "" : "s",
      s.time.empty() ? "" : ", time limit " + s.time,
      s.partition.empty() ? "" : ", partition " + s.partition);
  fmt::print(
      "  requeue        {}\n",
      job.spec.checkpoint.requeue_on_signal
          ? fmt::format(
                "on: SIG{} {} before the time limit, a preemption or `scancel "
                "--signal={}` makes it checkpoint, requeue itself and resume",
                s.signal,
                config::format_duration(s.signal_before),
                s.signal)
          : "off (checkpoint.requeue_on_signal: false): a stopped job checkpoints and ends");
  fmt::print("  run directory  {}\n", run_dir.root().string());
  fmt::print("  batch script   {}\n", script_file.string());
  fmt::print("  Slurm log      {}\n", slurm_output_file(run_dir.root(), id).string());
  fmt::print("  rank logs      {}\n", (run_dir.logs_dir() / "rank-*.log").string());
  fmt::print("follow it with: tessera status {}\n", run_dir.root().string());
  return kExitOk;
}

}  // namespace

void add_submit_command(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<SubmitOptions>();
  CLI::App* command = app.add_subcommand(
      "submit",
      "Validate a job, write its Slurm batch script into the run directory and sbatch it "
      "(options default to the YAML's slurm: section)");
  command->add_option("config", o->config, "job YAML file")->required();
  command->add_option("overrides", o->overrides, "key.sub=value overrides");
  command->add_option("--nodes,-N", o->nodes, "nodes (slurm.nodes)");
  command->add_option(
      "--ntasks-per-node", o->ntasks_per_node, "ranks per node (slurm.ntasks_per_node)");
  command->add_option("--gpus-per-node", o->gpus_per_node, "GPUs per node (slurm.gpus_per_node)");
  command->add_option(
      "--cpus-per-task,-c", o->cpus_per_task, "CPUs per rank (slurm.cpus_per_task)");
  command->add_option("--time,-t", o->time, "time limit, e.g. 02:00:00 (slurm.time)");
  command->add_option("--partition,-p", o->partition, "partition (slurm.partition)");
  command->add_option("--account,-A", o->account, "account (slurm.account)");
  command->add_option("--qos,-q", o->qos, "quality of service (slurm.qos)");
  command->add_flag("--dry-run", o->dry_run, "print the batch script; write and submit nothing");
  command->callback([&cli, o] { cli.action = [&cli, o] { return submit(*o, cli); }; });
}

}  // namespace tessera::launch
