#pragma once

// The sbatch script `tessera submit` writes into the run directory.
//
// Shape (srun launcher):
//   #!/bin/bash
//   #SBATCH --job-name=<name> --nodes=N --ntasks-per-node=M [--time ...]
//   #SBATCH --signal=USR1@120     warning before the time limit, to every rank
//   #SBATCH --requeue             the job may be requeued (by itself or by preemption)
//   #SBATCH --open-mode=append    a rerun appends to the log instead of truncating it
//   #SBATCH --output=<run>/logs/slurm-%j.out
//   echo "[tessera] ... Slurm job $SLURM_JOB_ID start, restart ${SLURM_RESTART_COUNT:-0} ..."
//   srun --mpi=pmix --kill-on-bad-exit=1 <tessera> run <run>/submit.yaml checkpoint.resume=auto
//
// Why the signal goes to the tasks (no "B:"): every rank of `tessera run`
// catches it itself, the ranks agree on a step to stop at, checkpoint, and
// rank 0 requeues the job. With "B:" only the batch shell would be signalled
// (cluster-launch notes 1.5). Preemption with preempt_send_user_signal
// delivers the same --signal to the tasks, so both paths are one.
// With the mpirun launcher the signal goes to the batch shell ("B:"), which
// forwards it to mpirun, which forwards it to the ranks.

#include <filesystem>
#include <string>

#include "runtime/job_spec.h"

namespace tessera::launch {

struct BatchScriptInput {
  runtime::SlurmConfig slurm;         // resolved options (YAML, then command line)
  std::string job_name;               // --job-name
  std::filesystem::path run_dir;      // absolute; logs go to <run_dir>/logs
  std::filesystem::path config_file;  // absolute; the resolved config the job runs
  std::filesystem::path workdir;      // absolute; where the job starts (--chdir)
  std::filesystem::path tessera;      // absolute path of the tessera executable
  std::string origin;                 // what the user submitted ("job.yaml a.b=1"), for the header
};

// The script text. Throws ConfigError when a path cannot be written into an
// #SBATCH line (whitespace or quotes in it).
std::string make_batch_script(const BatchScriptInput& input);

// `--signal=[B:]SIG@SECONDS` for this config (B: with the mpirun launcher).
std::string signal_option(const runtime::SlurmConfig& slurm);

// `text` quoted for a POSIX shell ('it'\''s').
std::string shell_quote(std::string_view text);

// Where Slurm writes the batch job's output: <run_dir>/logs/slurm-<job_id>.out.
std::filesystem::path slurm_output_file(
    const std::filesystem::path& run_dir, std::string_view job_id);

// Every submission of a run is one line of <run_dir>/slurm-jobs.txt:
// "<job id> <local time> <what was submitted>".
std::filesystem::path submissions_file(const std::filesystem::path& run_dir);
// The newest job id in it, or "" when the run was never submitted.
std::string last_submitted_job(const std::filesystem::path& run_dir);

}  // namespace tessera::launch
