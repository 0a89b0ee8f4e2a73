#include "launch/batch_script.h"

#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::launch {
namespace {

// An #SBATCH value is split by sbatch itself, not by a shell: refuse what it
// would split or misread rather than quote it.
std::string sbatch_path(const std::filesystem::path& path, std::string_view what) {
  const std::string text = path.string();
  if (text.find_first_of(" \t\n\"'\\") != std::string::npos) {
    throw ConfigError(fmt::format(
        "{} '{}' contains whitespace, quotes or backslashes, which #SBATCH lines cannot carry; "
        "choose another output.dir or working directory",
        what,
        text));
  }
  return text;
}

}  // namespace

std::string shell_quote(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789@%+=:,./_-") == std::string_view::npos) {
    return std::string(text);
  }
  std::string quoted = "'";
  for (char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

std::string signal_option(const runtime::SlurmConfig& slurm) {
  const long seconds = std::lround(slurm.signal_before.count());
  return fmt::format(
      "--signal={}{}@{}", slurm.launcher == "mpirun" ? "B:" : "", slurm.signal, seconds);
}

std::filesystem::path slurm_output_file(
    const std::filesystem::path& run_dir, std::string_view job_id) {
  return run_dir / "logs" / fmt::format("slurm-{}.out", job_id);
}

std::filesystem::path submissions_file(const std::filesystem::path& run_dir) {
  return run_dir / "slurm-jobs.txt";
}

std::string last_submitted_job(const std::filesystem::path& run_dir) {
  std::ifstream in(submissions_file(run_dir));
  std::string line;
  std::string id;
  while (std::getline(in, line)) {
    std::string first = line.substr(0, line.find(' '));
    if (!first.empty()) {
      id = first;
    }
  }
  return id;
}

std::string make_batch_script(const BatchScriptInput& in) {
  const runtime::SlurmConfig& s = in.slurm;
  std::string out;
  auto line = [&out](std::string_view text) {
    out += text;
    out += '\n';
  };
  auto sbatch = [&line](std::string_view option) { line(fmt::format("#SBATCH {}", option)); };

  line("#!/bin/bash");
  line(fmt::format("# Written by `tessera submit {}`.", in.origin));
  line(
      "# Submit it again (it resumes from the newest checkpoint) with: sbatch " +
      shell_quote((in.run_dir / "submit.sh").string()));
  sbatch(fmt::format("--job-name={}", shell_quote(in.job_name)));
  sbatch(fmt::format("--nodes={}", s.nodes));
  sbatch(fmt::format("--ntasks-per-node={}", s.ntasks_per_node));
  if (s.cpus_per_task > 0) {
    sbatch(fmt::format("--cpus-per-task={}", s.cpus_per_task));
  }
  if (s.gpus_per_node > 0) {
    sbatch(fmt::format("--gpus-per-node={}", s.gpus_per_node));
  }
  if (!s.time.empty()) {
    sbatch(fmt::format("--time={}", s.time));
  }
  if (!s.partition.empty()) {
    sbatch(fmt::format("--partition={}", s.partition));
  }
  if (!s.account.empty()) {
    sbatch(fmt::format("--account={}", s.account));
  }
  if (!s.qos.empty()) {
    sbatch(fmt::format("--qos={}", s.qos));
  }
  sbatch(signal_option(s));
  sbatch("--requeue");
  sbatch("--open-mode=append");
  sbatch(fmt::format(
      "--output={}", sbatch_path(in.run_dir / "logs" / "slurm-%j.out", "the run directory")));
  sbatch(fmt::format("--chdir={}", sbatch_path(in.workdir, "the working directory")));
  for (const std::string& extra : s.sbatch_args) {
    sbatch(extra);
  }
  line("");
  line("# One line per start (SLURM_RESTART_COUNT counts the requeues) in this log;");
  line("# tessera run writes the same count into logs/rank-*.log.");
  line(
      "echo \"[tessera] $(date '+%F %T') Slurm job ${SLURM_JOB_ID} start, restart "
      "${SLURM_RESTART_COUNT:-0}, ${SLURM_NNODES} node(s) ${SLURM_JOB_NODELIST}\"");
  for (const std::string& setup : s.setup) {
    line(setup);
  }

  const std::string run = fmt::format(
      "{} run {} checkpoint.resume=auto",
      shell_quote(in.tessera.string()),
      shell_quote(in.config_file.string()));
  if (s.launcher == "srun") {
    line("");
    line("# Debian's Open MPI (and Open MPI 5) joins srun's tasks only through PMIx.");
    if (s.cpus_per_task > 0) {
      line("# srun does not inherit --cpus-per-task from the job since Slurm 22.05: pass it on.");
    }
    line(fmt::format(
        "srun --mpi=pmix --kill-on-bad-exit=1{} {}",
        s.cpus_per_task > 0 ? fmt::format(" --cpus-per-task={}", s.cpus_per_task) : "",
        run));
    line("status=$?");
  } else {
    line("");
    line("# mpirun takes its ranks from the allocation. The warning signal reaches only");
    line("# this shell (B:); mpirun forwards it to every rank.");
    line(fmt::format("mpirun {} &", run));
    line("launcher=$!");
    line(fmt::format("trap 'kill -{} \"$launcher\"' {}", s.signal, s.signal));
    line("wait \"$launcher\"; status=$?");
    line("while kill -0 \"$launcher\" 2>/dev/null; do wait \"$launcher\"; status=$?; done");
  }
  line(
      "echo \"[tessera] $(date '+%F %T') Slurm job ${SLURM_JOB_ID} ranks ended with status "
      "${status}\"");
  line("exit \"$status\"");
  return out;
}

}  // namespace tessera::launch
