#include "runtime/job_spec.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace tessera::runtime {

void RuntimeConfig::fields(config::Fields& f) {
  f("backend", backend, "communicator backend", config::one_of({"auto", "mpi", "nccl", "local"}));
  f("device", device, "where tensors live: cpu, or cuda (one GPU per local rank)",
    config::one_of({"cpu", "cuda"}));
  f("threads_per_rank", threads_per_rank, "LibTorch intra-op threads per rank",
    config::at_least(1));
  f("comm_timeout", comm_timeout, "a collective that takes longer ends the job",
    config::Rule<config::Seconds>{"must be > 0", [](const config::Seconds& s) { return s.count() > 0; }});
  f("comm_debug", comm_debug, "check before each collective that all ranks call the same one");
  f("log_level", log_level, "console and log-file level",
    config::one_of({"trace", "debug", "info", "warn", "error"}));
  f("progress_every", progress_every, "seconds between progress lines on rank 0");
}

void OutputConfig::fields(config::Fields& f) {
  f("dir", dir, "run directory (default runs/<name>)");
  f("metrics_flush", metrics_flush, "seconds between flushes of metrics.h5");
}

void SlurmConfig::fields(config::Fields& f) {
  f("nodes", nodes, "nodes to allocate (--nodes)", config::at_least(1));
  f("ntasks_per_node", ntasks_per_node, "ranks per node (--ntasks-per-node)", config::at_least(1));
  f("gpus_per_node", gpus_per_node, "GPUs per node (--gpus-per-node; 0: none)", config::at_least(0));
  f("cpus_per_task", cpus_per_task, "CPUs per rank (--cpus-per-task; 0: Slurm's default)",
    config::at_least(0));
  f("time", time, "time limit, e.g. 02:00:00 or 1-12:00:00 (--time; empty: partition default)",
    config::Rule<std::string>{"must be a Slurm time: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS",
                              [](const std::string& t) {
                                bool unlimited = false;
                                return t.empty() || parse_slurm_time(t, &unlimited) || unlimited;
                              }});
  f("partition", partition, "partition (--partition; empty: the cluster's default)");
  f("account", account, "account to charge (--account)");
  f("qos", qos, "quality of service (--qos)");
  f("signal", signal, "signal Slurm sends before the time limit; tessera checkpoints on it",
    config::one_of({"USR1", "USR2", "TERM"}));
  f("signal_before", signal_before, "how long before the time limit the signal comes",
    config::Rule<config::Seconds>{"must be between 1s and 65535s", [](const config::Seconds& s) {
                                    return s.count() >= 1 && s.count() <= 65535;
                                  }});
  f("launcher", launcher, "how the batch script starts the ranks: srun (--mpi=pmix) or mpirun",
    config::one_of({"srun", "mpirun"}));
  f("sbatch_args", sbatch_args, "more #SBATCH options, e.g. [--mem=64G, --constraint=a100]",
    config::each(config::Rule<std::string>{"must start with '-'", [](const std::string& a) {
                                             return !a.empty() && a.front() == '-';
                                           }}));
  f("setup", setup, "shell lines run before the launch, e.g. [module load cuda]");
  if (f.parsing()) {
    std::optional<config::Seconds> limit = parse_slurm_time(time);
    if (limit && signal_before >= *limit) {
      f.issue("signal_before",
              fmt::format("{} must be shorter than slurm.time = {} ({}), or the job is told to "
                          "stop as soon as it starts; lower it, e.g. slurm.signal_before=30s",
                          config::format_duration(signal_before), time,
                          config::format_duration(*limit)));
    }
  }
}

std::optional<config::Seconds> parse_slurm_time(std::string_view text, bool* unlimited) {
  if (unlimited != nullptr) {
    *unlimited = text == "INFINITE" || text == "UNLIMITED" || text == "infinite" ||
                 text == "unlimited";
  }
  // Split "D-rest" and the colon-separated rest into numbers.
  auto number = [](std::string_view part, long& out) {
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return !part.empty() && ec == std::errc() && end == part.data() + part.size() && out >= 0;
  };
  long days = 0;
  bool has_days = false;
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    if (!number(text.substr(0, dash), days)) {
      return std::nullopt;
    }
    has_days = true;
    text = text.substr(dash + 1);
  }
  std::vector<long> parts;
  while (true) {
    auto colon = text.find(':');
    long value = 0;
    if (!number(text.substr(0, colon), value)) {
      return std::nullopt;
    }
    parts.push_back(value);
    if (colon == std::string_view::npos) {
      break;
    }
    text = text.substr(colon + 1);
  }
  if (parts.size() > 3) {
    return std::nullopt;
  }
  long seconds = 0;
  if (has_days) {  // D-HH, D-HH:MM, D-HH:MM:SS
    seconds = days * 86400 + parts[0] * 3600 + (parts.size() > 1 ? parts[1] * 60 : 0) +
              (parts.size() > 2 ? parts[2] : 0);
  } else if (parts.size() == 1) {  // MM
    seconds = parts[0] * 60;
  } else if (parts.size() == 2) {  // MM:SS
    seconds = parts[0] * 60 + parts[1];
  } else {  // HH:MM:SS
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
  }
  if (unlimited != nullptr) {
    *unlimited = false;
  }
  return config::Seconds(static_cast<double>(seconds));
}

void JobSpec::fields(config::Fields& f) {
  f("job", job, "registered job kind (tessera jobs lists them)", config::not_empty());
  f("name", name, "run name (default: the job kind)");
  f("seed", seed, "base seed of every random stream");
  f("runtime", runtime, "processes, threads and communication");
  f("checkpoint", checkpoint, "when to save and how to resume");
  f("output", output, "where results go");
  f("slurm", slurm, "defaults for tessera submit (sbatch options)");
}

void JobSpec::resolve_defaults() {
  if (name.empty()) {
    name = job;
  }
  if (output.dir.empty()) {
    output.dir = "runs/" + name;
  }
}

}  // namespace tessera::runtime
