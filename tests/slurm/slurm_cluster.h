#pragma once

// Driving the local Slurm cluster (ci/slurm-up.sh) from the slurm tests, the
// way a user does: srun, tessera submit, scancel, sbatch, scontrol.

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "launch/slurm_client.h"

namespace tessera::testing {

// Why the slurm tests cannot run here ("" when they can): no Slurm commands,
// no controller answering, or no usable node.
std::string slurm_unavailable_reason();

// Polls `condition` every 200 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout);

// The job once it has ended (COMPLETED, FAILED, CANCELLED, TIMEOUT, ...);
// a requeued job goes through PENDING again and is waited for. After
// `timeout` the last state seen is returned.
launch::SlurmJob wait_for_end(const std::string& id, std::chrono::seconds timeout);

// The current state of job `id` ("" when Slurm does not know it).
std::string job_state(const std::string& id);

// `srun -n ranks --mpi=pmix` with a time limit, as the tests launch steps.
std::vector<std::string> srun(int ranks);

// `BINARY submit CONFIG ARGS...` that Slurm accepted (tessera_test by
// default, for its test job kinds).
struct Submission {
  std::string id;      // Slurm job id
  std::string output;  // what submit printed
};
// Fails the calling test (and returns an empty id) when submit does not
// print "submitted batch job N".
Submission submit(
    const std::filesystem::path& config,
    const std::vector<std::string>& args,
    const std::string& binary = TESSERA_TEST_BIN);

// True once `file` contains `text`.
bool file_contains(const std::filesystem::path& file, const std::string& text);

// Every file under `dir`/final (what test_state writes at its end), by name.
std::vector<std::pair<std::string, std::string>> final_state(const std::filesystem::path& run_dir);

}  // namespace tessera::testing
