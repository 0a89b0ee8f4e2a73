// tessera doctor: every rank reports what it detected; rank 0 prints one
// table and flags what is wrong with the launch.

#include <mpi.h>
#include <sched.h>
#include <unistd.h>

#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "launch/cli.h"
#include "runtime/session.h"
#include "runtime/build_config.h"

namespace tessera::launch {
namespace {

struct RankReport {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  int local_size = 1;
  int node_rank = 0;
  std::string host;
  std::string launcher;
  std::string source;
  long pid = 0;
  int cpus = 0;
  std::string thread_level;
  std::vector<std::string> backends;
  std::vector<std::string> warnings;
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RankReport, rank, size, local_rank, local_size, node_rank, host,
                                   launcher, source, pid, cpus, thread_level, backends, warnings)

int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    return CPU_COUNT(&set);
  }
  return static_cast<int>(std::thread::hardware_concurrency());
}

RankReport make_report(runtime::Session& session) {
  const runtime::LaunchInfo& info = session.launch();
  RankReport r{info.rank,
               info.size,
               info.local_rank,
               info.local_size,
               info.node_rank,
               info.host,
               std::string(runtime::launcher_name(info.launcher)),
               info.source,
               static_cast<long>(::getpid()),
               usable_cpus(),
               session.mpi() ? runtime::mpi_thread_level_name(session.mpi()->thread_level()) : "no MPI",
               {},
               info.warnings};
  if (session.mpi() != nullptr) {
    r.backends.push_back("mpi");
  }
  r.backends.push_back("local");
  if (TESSERA_HAVE_NCCL) {
    r.backends.push_back("nccl");
  }
  return r;
}

struct Findings {
  std::vector<std::string> problems;  // the launch is wrong
  std::vector<std::string> notes;     // worth knowing, not wrong
};

// What is visible only when all reports are side by side.
Findings cross_checks(const std::vector<RankReport>& reports) {
  Findings findings;
  std::vector<std::string>& problems = findings.problems;
  std::map<std::pair<std::string, int>, std::vector<int>> by_local;
  std::map<std::string, int> per_host;
  for (const RankReport& r : reports) {
    by_local[{r.host, r.local_rank}].push_back(r.rank);
    per_host[r.host] += 1;
  }
  for (const auto& [where, ranks] : by_local) {
    if (ranks.size() > 1) {
      problems.push_back(fmt::format("ranks {} on {} all claim local rank {}: GPUs and ports bound by "
                                     "local rank would collide",
                                     fmt::join(ranks, ", "), where.first, where.second));
    }
  }
  for (const RankReport& r : reports) {
    if (r.local_size != per_host[r.host]) {
      problems.push_back(fmt::format("rank {} believes {} ranks share {}, but {} reported from there",
                                     r.rank, r.local_size, r.host, per_host[r.host]));
      break;
    }
  }
  for (const RankReport& r : reports) {
    if (r.thread_level != "MPI_THREAD_MULTIPLE" && r.thread_level != "no MPI") {
      problems.push_back(fmt::format("rank {}: MPI granted only {} (background threads need "
                                     "MPI_THREAD_MULTIPLE)",
                                     r.rank, r.thread_level));
      break;
    }
  }
  for (const RankReport& r : reports) {
    if (r.local_rank == 0 && per_host[r.host] > r.cpus) {
      findings.notes.push_back(fmt::format("{} ranks share {} with {} usable CPUs: oversubscribed "
                                           "(fine for tests, slow for real work)",
                                           per_host[r.host], r.host, r.cpus));
    }
  }
  return findings;
}

void print_table(const std::vector<RankReport>& reports) {
  fmt::print("{:>5}  {:<16} {:>7} {:>5} {:<13} {:>8} {:>5}  {}\n", "rank", "host", "local", "node",
             "launcher", "pid", "cpus", "backends");
  for (const RankReport& r : reports) {
    fmt::print("{:>5}  {:<16} {:>7} {:>5} {:<13} {:>8} {:>5}  {}\n", fmt::format("{}/{}", r.rank, r.size),
               r.host, fmt::format("{}/{}", r.local_rank, r.local_size), r.node_rank, r.launcher, r.pid,
               r.cpus, fmt::join(r.backends, ","));
  }
}

// The Slurm context of this launch, when there is one.
void print_slurm(const runtime::LaunchInfo& launch) {
  if (!launch.in_slurm_allocation) {
    return;
  }
  fmt::print("slurm: job {}, restart {}, MPI plugin {}\n", launch.job_id, launch.restart_count,
             launch.mpi_plugin.empty() ? "none" : launch.mpi_plugin);
}

int doctor(Cli& cli) {
  std::unique_ptr<runtime::Session> session = runtime::Session::start(cli.argc, cli.argv);
  RankReport mine = make_report(*session);
  const runtime::LaunchInfo& launch = session->launch();
  if (session->mpi() == nullptr && mine.size > 1) {
    // These processes cannot talk to each other. They all see the same
    // problem, so the first one explains it and the others stay quiet.
    if (mine.rank == 0) {
      fmt::print("tessera doctor: {} started {} processes that are not connected; this is "
                 "process 0 (the others report the same)\n",
                 mine.launcher, mine.size);
      print_table({mine});
      print_slurm(launch);
      for (const std::string& w : mine.warnings) {
        fmt::print("problem: {}\n", w);
      }
    }
    return kExitFailure;
  }
  std::vector<std::string> gathered = session->coordinator().all_gather(nlohmann::json(mine).dump());
  if (session->coordinator().rank() != 0) {
    return kExitOk;
  }
  std::vector<RankReport> reports;
  for (const std::string& text : gathered) {
    reports.push_back(nlohmann::json::parse(text).get<RankReport>());
  }
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string mpi(version, static_cast<std::size_t>(length));
  fmt::print("tessera doctor: {} rank{}, launcher {}, {} ({})\n", reports.size(),
             reports.size() == 1 ? "" : "s", mine.launcher, mpi.substr(0, mpi.find(',')),
             mine.thread_level);
  print_table(reports);
  print_slurm(launch);

  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const RankReport& r : reports) {
    for (const std::string& w : r.warnings) {
      if (seen.insert(w).second) {
        problems.push_back(fmt::format("rank {}: {}", r.rank, w));
      }
    }
  }
  Findings cross = cross_checks(reports);
  problems.insert(problems.end(), cross.problems.begin(), cross.problems.end());
  for (const std::string& n : cross.notes) {
    fmt::print("note: {}\n", n);
  }
  for (const std::string& p : problems) {
    fmt::print("problem: {}\n", p);
  }
  if (problems.empty()) {
    fmt::print("no problems found\n");
    return kExitOk;
  }
  return kExitFailure;
}

}  // namespace

void add_doctor_command(CLI::App& app, Cli& cli) {
  CLI::App* command = app.add_subcommand(
      "doctor", "Report what every rank detected (run it under mpirun/srun) and flag what is wrong");
  command->callback([&cli] { cli.action = [&cli] { return doctor(cli); }; });
}

}  // namespace tessera::launch
