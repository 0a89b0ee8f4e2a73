#pragma once

// Launch detection: who started this process, and which rank it is.
//
// Before MPI is initialised the answer comes from the environment, with the
// innermost launcher winning:
//   1. torchrun-style RANK / WORLD_SIZE / LOCAL_RANK (+ LOCAL_WORLD_SIZE,
//      GROUP_RANK, MASTER_ADDR, MASTER_PORT);
//   2. mpirun: OMPI_COMM_WORLD_RANK / SIZE / LOCAL_RANK / LOCAL_SIZE;
//   3. a Slurm step: SLURM_PROCID / SLURM_STEP_NUM_TASKS / SLURM_LOCALID /
//      SLURM_NODEID, only when SLURM_STEP_ID is set. Under `mpirun` inside an
//      sbatch job every rank inherits the batch script's SLURM_PROCID=0 and no
//      SLURM_STEP_ID, so those variables alone would make every rank "rank 0";
//   4. otherwise a single process (world size 1).
// Once MPI is initialised, MpiSession::refine() replaces rank, size and local
// rank with what the MPI library itself reports.
//
// This is the only code that reads launcher environment variables; everything
// else receives a LaunchInfo.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::runtime {

using Environment = std::map<std::string, std::string, std::less<>>;

// A snapshot of this process's environment.
Environment current_environment();

enum class Launcher {
  kNone,      // started alone
  kMpirun,    // Open MPI's mpirun / mpiexec
  kSrun,      // a Slurm step (srun)
  kTorchrun,  // RANK/WORLD_SIZE variables (torchrun, custom launchers)
};

std::string_view launcher_name(Launcher launcher);

struct LaunchInfo {
  Launcher launcher = Launcher::kNone;
  int rank = 0;            // global rank
  int size = 1;            // world size
  int local_rank = 0;      // rank among the processes on this node
  int local_size = 1;      // processes on this node
  int node_rank = 0;       // index of this node
  std::string host;        // this node's host name
  std::string job_id;      // Slurm job id, "" outside Slurm
  int restart_count = 0;   // SLURM_RESTART_COUNT (0 on the first run)
  std::string requeue_id;  // what `scontrol requeue` takes: "<array job>_<task>" for array tasks, else job_id
  std::int64_t job_end_time = 0;  // SLURM_JOB_END_TIME (Unix seconds) where Slurm sets it, else 0
  std::string master_addr; // rendezvous host (rank 0's node)
  int master_port = 0;     // rendezvous port
  bool in_slurm_allocation = false;  // SLURM_JOB_ID is set
  std::string mpi_plugin;  // srun --mpi value seen (SLURM_MPI_TYPE), "" if none
  bool mpi_wired = false;  // the launcher set up MPI wire-up (PMIx/ORTE) for MPI_Init
  std::string source = "environment";  // "environment" or "mpi"
  std::vector<std::string> warnings;   // launch problems found (shown by doctor)
};

// Detects the launch from `env` (see the precedence above). `host` is this
// machine's name. Never throws: inconsistent values become warnings.
LaunchInfo detect_launch(const Environment& env, std::string host);

// Expands a Slurm host list: "node[01-03,07],gpu5" -> node01 node02 node03 node07 gpu5.
std::vector<std::string> expand_hostlist(std::string_view hostlist);

// Tasks on node `node` from a Slurm tasks-per-node spec: "2(x3),1" -> 2 2 2 1.
int tasks_on_node(std::string_view tasks_per_node, int node);

// This machine's host name.
std::string host_name();

}  // namespace tessera::runtime
