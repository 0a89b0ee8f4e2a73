#include "runtime/launch_info.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>
#include <mpi.h>

extern char** environ;  // NOLINT: POSIX

namespace tessera::runtime {
namespace {

#ifdef OPEN_MPI
constexpr bool kOpenMpi = true;
#else
constexpr bool kOpenMpi = false;
#endif

const std::string* lookup(const Environment& env, std::string_view key) {
  auto it = env.find(key);
  return it == env.end() ? nullptr : &it->second;
}

// Parses an integer variable; `fallback` when absent or malformed (a warning
// is recorded for malformed values).
int int_var(const Environment& env, std::string_view key, int fallback, LaunchInfo& info) {
  const std::string* text = lookup(env, key);
  if (text == nullptr) {
    return fallback;
  }
  int value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    info.warnings.push_back(fmt::format("{}='{}' is not an integer; ignored", key, *text));
    return fallback;
  }
  return value;
}

bool has(const Environment& env, std::string_view key) { return lookup(env, key) != nullptr; }

void detect_torchrun(const Environment& env, LaunchInfo& info) {
  info.launcher = Launcher::kTorchrun;
  info.rank = int_var(env, "RANK", 0, info);
  info.size = int_var(env, "WORLD_SIZE", 1, info);
  info.local_rank = int_var(env, "LOCAL_RANK", 0, info);
  info.local_size = int_var(env, "LOCAL_WORLD_SIZE", info.size, info);
  info.node_rank = int_var(env, "GROUP_RANK", 0, info);
}

void detect_mpirun(const Environment& env, LaunchInfo& info) {
  info.launcher = Launcher::kMpirun;
  info.rank = int_var(env, "OMPI_COMM_WORLD_RANK", 0, info);
  info.size = int_var(env, "OMPI_COMM_WORLD_SIZE", 1, info);
  info.local_rank = int_var(env, "OMPI_COMM_WORLD_LOCAL_RANK", 0, info);
  info.local_size = int_var(env, "OMPI_COMM_WORLD_LOCAL_SIZE", 1, info);
  info.node_rank = int_var(env, "OMPI_COMM_WORLD_NODE_RANK", 0, info);
  info.mpi_wired = true;
}

void detect_srun(const Environment& env, LaunchInfo& info) {
  info.launcher = Launcher::kSrun;
  info.rank = int_var(env, "SLURM_PROCID", 0, info);
  // The step's task count; SLURM_NTASKS_PER_NODE may be inherited from the
  // job and disagree with the step (cluster-launch notes 1.4).
  info.size = int_var(env, "SLURM_STEP_NUM_TASKS", int_var(env, "SLURM_NTASKS", 1, info), info);
  info.local_rank = int_var(env, "SLURM_LOCALID", 0, info);
  info.node_rank = int_var(env, "SLURM_NODEID", 0, info);
  const std::string* per_node = lookup(env, "SLURM_STEP_TASKS_PER_NODE");
  if (per_node == nullptr) {
    per_node = lookup(env, "SLURM_TASKS_PER_NODE");
  }
  info.local_size = per_node ? tasks_on_node(*per_node, info.node_rank) : info.size;
  if (info.local_size <= 0) {
    info.local_size = 1;
  }
  if (const std::string* plugin = lookup(env, "SLURM_MPI_TYPE")) {
    info.mpi_plugin = *plugin;
  }
  // Open MPI joins srun's tasks only through PMIx: Debian builds it without
  // PMI-1/PMI-2 support (and Open MPI 5 has none), so with --mpi=pmi2 or no
  // plugin its MPI_Init aborts with "OMPI was not built with SLURM's PMI
  // support". Other MPI libraries can use PMI-2.
  info.mpi_wired = has(env, "PMIX_RANK") || (!kOpenMpi && has(env, "PMI_RANK"));
  if (!info.mpi_wired && info.size > 1) {
    const std::string how =
        info.mpi_plugin.empty() || info.mpi_plugin == "none"
            ? std::string("without an MPI plugin (no --mpi=pmix, and the cluster's MpiDefault is none)")
            : fmt::format("with --mpi={}, which Open MPI cannot use", info.mpi_plugin);
    info.warnings.push_back(fmt::format(
        "srun started {} tasks {}: they cannot form one MPI job (Open MPI's MPI_Init would abort "
        "with \"OMPI was not built with SLURM's PMI support\"). Launch with `srun --mpi=pmix ...` "
        "or `export SLURM_MPI_TYPE=pmix` before srun (`srun --mpi=list` shows the plugins)",
        info.size, how));
  }
}

}  // namespace

Environment current_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq != std::string_view::npos) {
      env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
  }
  return env;
}

std::string_view launcher_name(Launcher launcher) {
  switch (launcher) {
    case Launcher::kNone:
      return "none";
    case Launcher::kMpirun:
      return "mpirun";
    case Launcher::kSrun:
      return "srun";
    case Launcher::kTorchrun:
      return "torchrun-env";
  }
  return "unknown";
}

LaunchInfo detect_launch(const Environment& env, std::string host) {
  LaunchInfo info;
  info.host = std::move(host);
  if (const std::string* job = lookup(env, "SLURM_JOB_ID")) {
    info.job_id = *job;
    info.in_slurm_allocation = true;
  }
  info.restart_count = int_var(env, "SLURM_RESTART_COUNT", 0, info);
  info.requeue_id = info.job_id;
  const std::string* array_job = lookup(env, "SLURM_ARRAY_JOB_ID");
  const std::string* array_task = lookup(env, "SLURM_ARRAY_TASK_ID");
  if (array_job != nullptr && array_task != nullptr) {
    info.requeue_id = *array_job + "_" + *array_task;
  }
  if (const std::string* end = lookup(env, "SLURM_JOB_END_TIME")) {
    std::int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(end->data(), end->data() + end->size(), seconds);
    if (ec == std::errc() && ptr == end->data() + end->size() && seconds > 0) {
      info.job_end_time = seconds;
    } else {
      info.warnings.push_back(fmt::format("SLURM_JOB_END_TIME={} is not a Unix time; ignored", *end));
    }
  }

  const bool torchrun = has(env, "RANK") && has(env, "WORLD_SIZE");
  const bool mpirun = has(env, "OMPI_COMM_WORLD_RANK");
  const bool slurm_step = has(env, "SLURM_STEP_ID") && has(env, "SLURM_PROCID");
  if (torchrun) {
    detect_torchrun(env, info);
  } else if (mpirun) {
    detect_mpirun(env, info);
  } else if (slurm_step) {
    detect_srun(env, info);
  } else if (has(env, "PMIX_RANK")) {
    // Launched by a PMIx server we do not know by name (prun, flux, ...):
    // MPI_Init will find the world size.
    info.launcher = Launcher::kMpirun;
    info.rank = int_var(env, "PMIX_RANK", 0, info);
    info.mpi_wired = true;
  }

  if (info.in_slurm_allocation && !slurm_step && !mpirun && !torchrun &&
      int_var(env, "SLURM_NTASKS", 1, info) > 1) {
    info.warnings.push_back(fmt::format(
        "running directly in the batch script of Slurm job {} with {} tasks: only one process "
        "was started; launch with `srun --mpi=pmix tessera ...` or `mpirun tessera ...`",
        info.job_id, lookup(env, "SLURM_NTASKS")->c_str()));
  }

  // Rendezvous address: MASTER_ADDR/MASTER_PORT win; under Slurm the first
  // host of the node list and a port derived from the job id.
  if (const std::string* addr = lookup(env, "MASTER_ADDR")) {
    info.master_addr = *addr;
  } else if (const std::string* nodes = lookup(env, "SLURM_STEP_NODELIST")
                                            ? lookup(env, "SLURM_STEP_NODELIST")
                                            : lookup(env, "SLURM_JOB_NODELIST")) {
    std::vector<std::string> hosts = expand_hostlist(*nodes);
    info.master_addr = hosts.empty() ? info.host : hosts.front();
  } else {
    info.master_addr = "127.0.0.1";
  }
  if (has(env, "MASTER_PORT")) {
    info.master_port = int_var(env, "MASTER_PORT", 29500, info);
  } else if (!info.job_id.empty()) {
    int job = 0;
    std::from_chars(info.job_id.data(), info.job_id.data() + info.job_id.size(), job);
    info.master_port = 15000 + job % 10000;
  } else {
    info.master_port = 29500;
  }

  if (info.rank < 0 || info.rank >= info.size) {
    info.warnings.push_back(
        fmt::format("rank {} is outside the world size {}", info.rank, info.size));
  }
  if (info.local_rank < 0 || info.local_rank >= info.local_size) {
    info.warnings.push_back(fmt::format(
        "local rank {} is outside the local size {}", info.local_rank, info.local_size));
  }
  return info;
}

std::vector<std::string> expand_hostlist(std::string_view hostlist) {
  std::vector<std::string> hosts;
  std::size_t pos = 0;
  while (pos < hostlist.size()) {
    // One entry runs to the next comma outside brackets.
    std::size_t end = pos;
    int depth = 0;
    while (end < hostlist.size() && (hostlist[end] != ',' || depth > 0)) {
      depth += hostlist[end] == '[' ? 1 : hostlist[end] == ']' ? -1 : 0;
      ++end;
    }
    std::string_view entry = hostlist.substr(pos, end - pos);
    pos = end + 1;
    auto open = entry.find('[');
    if (open == std::string_view::npos) {
      if (!entry.empty()) {
        hosts.emplace_back(entry);
      }
      continue;
    }
    std::string_view prefix = entry.substr(0, open);
    auto close = entry.find(']', open);
    std::string_view suffix = close == std::string_view::npos ? "" : entry.substr(close + 1);
    std::string_view ranges = entry.substr(open + 1, close - open - 1);
    while (!ranges.empty()) {
      auto comma = ranges.find(',');
      std::string_view range = ranges.substr(0, comma);
      ranges = comma == std::string_view::npos ? "" : ranges.substr(comma + 1);
      auto dash = range.find('-');
      std::string_view lo = range.substr(0, dash);
      std::string_view hi = dash == std::string_view::npos ? lo : range.substr(dash + 1);
      long first = 0;
      long last = 0;
      std::from_chars(lo.data(), lo.data() + lo.size(), first);
      std::from_chars(hi.data(), hi.data() + hi.size(), last);
      for (long n = first; n <= last; ++n) {
        hosts.push_back(fmt::format("{}{:0{}}{}", prefix, n, lo.size(), suffix));
      }
    }
  }
  return hosts;
}

int tasks_on_node(std::string_view tasks_per_node, int node) {
  int index = 0;
  while (!tasks_per_node.empty()) {
    auto comma = tasks_per_node.find(',');
    std::string_view part = tasks_per_node.substr(0, comma);
    tasks_per_node = comma == std::string_view::npos ? "" : tasks_per_node.substr(comma + 1);
    int tasks = 0;
    int repeat = 1;
    auto paren = part.find("(x");
    std::from_chars(part.data(), part.data() + part.size(), tasks);
    if (paren != std::string_view::npos) {
      std::from_chars(part.data() + paren + 2, part.data() + part.size(), repeat);
    }
    if (node < index + repeat) {
      return tasks;
    }
    index += repeat;
  }
  return 0;
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) {
    return "localhost";
  }
  return buffer;
}

}  // namespace tessera::runtime
