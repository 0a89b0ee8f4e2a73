#pragma once

// Asking Slurm about and for the job this process runs in: the time it has
// left (for checkpoint.before_time_limit) and a requeue (for
// checkpoint.requeue_on_signal). Both run Slurm's own commands, as users do.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::runtime {

// Parses Slurm's time format as `squeue -o %L` prints it: "1-02:03:04",
// "02:03:04", "3:04", "45" (seconds). nullopt for "UNLIMITED", "NOT_SET",
// "INVALID" or anything else.
std::optional<std::chrono::seconds> parse_slurm_time_left(std::string_view text);

// Time left for job `job_id` (`squeue -h -j ID -o %L`); nullopt when Slurm
// does not know or cannot be asked.
std::optional<std::chrono::seconds> query_slurm_time_left(const std::string& job_id);

struct CommandOutcome {
  int exit_code = -1;   // -1: could not run
  std::string output;   // stdout and stderr
};

// Runs `scontrol requeue ID`.
CommandOutcome requeue_slurm_job(const std::string& job_id);

}  // namespace tessera::runtime
