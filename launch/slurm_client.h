#pragma once

// SlurmClient: the few Slurm commands tessera's CLI runs (sbatch, scontrol),
// as a user would type them. No accounting database is assumed (no sacct):
// a job is visible to scontrol while it is queued or running and for
// MinJobAge seconds (300 by default) after it ends.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::launch {

// What `scontrol show job` says about one job.
struct SlurmJob {
  std::string id;
  std::string name;
  std::string state;       // PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, ...
  std::string reason;      // why it pends or ended ("None", "BeginTime", "Resources", ...)
  int restarts = 0;        // requeues so far
  std::string run_time;    // "00:01:23" of the current (or last) start
  std::string time_limit;  // "00:10:00", "UNLIMITED"
  std::string exit_code;   // "0:0" (status:signal)
  std::string partition;
  std::string nodes;    // node list, "(null)" while pending
  std::string std_out;  // the output file
};

// Parses one line of `scontrol show job -o` ("JobId=12 JobName=x ...").
SlurmJob parse_scontrol_job(std::string_view line);

// Seconds in a Slurm duration as scontrol prints it ("1-02:03:04", "00:05:00");
// nullopt for "UNLIMITED" or anything else.
std::optional<long> parse_slurm_duration(std::string_view text);

// The output of a finished program.
struct ProgramResult {
  int exit_code = -1;  // 128 + signal when killed; 127 when it could not start
  std::string out;     // standard output
  std::string err;     // standard error
};

// Runs `argv` (no shell), waiting at most `timeout` (then kills it).
ProgramResult run_program(
    const std::vector<std::string>& argv, std::chrono::seconds timeout = std::chrono::seconds(60));

// The full path of `name` on PATH, or "" when it is not there.
std::string find_program(std::string_view name);

class SlurmClient {
 public:
  // True when sbatch and scontrol are on PATH.
  static bool available();

  // `sbatch --parsable script` and returns the job id. Throws Error carrying
  // sbatch's own message when Slurm refuses the job.
  std::string submit(const std::filesystem::path& script) const;

  // The job as scontrol sees it; nullopt when Slurm does not know it (never
  // did, or it ended more than MinJobAge ago) or Slurm cannot be reached.
  std::optional<SlurmJob> job(std::string_view id) const;
};

}  // namespace tessera::launch
