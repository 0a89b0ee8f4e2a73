#include "tests/slurm/slurm_cluster.h"

#include <algorithm>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera::testing {
namespace {

bool ended(const std::string& state) {
  static const std::vector<std::string> kEnded = {
      "COMPLETED",
      "FAILED",
      "CANCELLED",
      "TIMEOUT",
      "NODE_FAIL",
      "OUT_OF_MEMORY",
      "BOOT_FAIL",
      "DEADLINE"};
  return std::find(kEnded.begin(), kEnded.end(), state) != kEnded.end();
}

}  // namespace

std::string slurm_unavailable_reason() {
  if (launch::find_program("srun").empty() || launch::find_program("sbatch").empty()) {
    return "Slurm's commands (srun, sbatch) are not installed; ci/slurm-up.sh installs and starts "
           "a local cluster (scripts/test.sh runs it)";
  }
  launch::ProgramResult ping = launch::run_program({"scontrol", "ping"}, std::chrono::seconds(20));
  if (ping.out.find("UP") == std::string::npos) {
    return "no Slurm controller answers `scontrol ping` (" + ping.out + ping.err +
           "); start one with ci/slurm-up.sh";
  }
  launch::ProgramResult nodes =
      launch::run_program({"sinfo", "-h", "-o", "%t"}, std::chrono::seconds(20));
  if (nodes.out.find("idle") == std::string::npos && nodes.out.find("mix") == std::string::npos &&
      nodes.out.find("alloc") == std::string::npos) {
    return "the Slurm cluster has no usable node (sinfo says '" + nodes.out + "')";
  }
  return {};
}

bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return true;
}

std::string job_state(const std::string& id) {
  std::optional<launch::SlurmJob> job = launch::SlurmClient().job(id);
  return job ? job->state : std::string();
}

launch::SlurmJob wait_for_end(const std::string& id, std::chrono::seconds timeout) {
  launch::SlurmJob last;
  eventually(
      [&] {
        std::optional<launch::SlurmJob> job = launch::SlurmClient().job(id);
        if (job) {
          last = *job;
        }
        return job && ended(job->state);
      },
      timeout);
  return last;
}

std::vector<std::string> srun(int ranks) {
  return {"srun", "-n", std::to_string(ranks), "--mpi=pmix", "-t", "3"};
}

Submission submit(
    const std::filesystem::path& config,
    const std::vector<std::string>& args,
    const std::string& binary) {
  std::vector<std::string> argv = {binary, "submit", config.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run_command(argv, std::chrono::seconds(60));
  static const std::regex kSubmitted(R"(submitted batch job (\d+))");
  std::smatch m;
  if (r.exit_code != 0 || !std::regex_search(r.output, m, kSubmitted)) {
    ADD_FAILURE() << "tessera submit failed (exit " << r.exit_code << "):\n" << r.output;
    return {};
  }
  return {m[1], r.output};
}

bool file_contains(const std::filesystem::path& file, const std::string& text) {
  return std::filesystem::exists(file) && read_text(file).find(text) != std::string::npos;
}

std::vector<std::pair<std::string, std::string>> final_state(const std::filesystem::path& run_dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(run_dir / "final", ec)) {
    files.emplace_back(entry.path().filename().string(), read_text(entry.path()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace tessera::testing
