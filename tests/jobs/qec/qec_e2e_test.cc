// The qec job as a user drives it: tessera run under mpirun, a kill in the
// middle of a sweep and the resume, a changed grid, validate, export-circuit.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "jobs/quantum/repetition_code.h"
#include "jobs/sweep/results_file.h"
#include "jobs/sweep/results_journal.h"
#include "tests/testing/process_tree.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

using ::testing::HasSubstr;
using testing::run_command;

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// Starts `argv` (output to `log`) and sends `signal` to it and its whole
// process tree once `ready()` holds. Returns the exit code (128 + signal if
// killed by it).
int run_and_signal_when(const std::vector<std::string>& argv, const std::filesystem::path& log,
                        const std::function<bool()>& ready, int signal, std::chrono::seconds limit) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));  // NOLINT
    }
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (ready() || std::chrono::steady_clock::now() > deadline) {
      testing::signal_tree(pid, std::chrono::steady_clock::now() > deadline ? SIGKILL : signal);
      ::waitpid(pid, &status, 0);
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts(const std::filesystem::path& results) {
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
  for (const jobs::sweep::TaskRecord& r : jobs::sweep::read_results(results)) {
    out[r.id] = {r.total.counts.shots, r.total.counts.errors};
  }
  return out;
}

// Shots in the last snapshot's CSV plus chunks in the journal.
std::int64_t shots_so_far(const std::filesystem::path& run) {
  std::int64_t shots = 0;
  std::ifstream csv(run / "results.csv");
  std::string line;
  std::getline(csv, line);
  while (std::getline(csv, line)) {
    shots += std::stoll(line.substr(0, line.find(',')));
  }
  jobs::sweep::ResultsJournal::replay(run / "results.journal",
                                      [&](const std::string&, std::int64_t, jobs::sweep::ChunkResult r) {
                                        shots += r.counts.shots;
                                      });
  return shots;
}

constexpr const char* kSweep = R"(job: qec
name: qec-e2e
seed: 5
sweep:
  grid:
    distance: [3, 5, 7]
    rounds: 10
    p: [0.01, 0.02]
  max_shots: 300000
  max_errors: 1000
  first_chunk_shots: 1024
  max_chunk_shots: 8192
  flush_every: 0.3s
qec:
  plot: false
)";

TEST(QecE2e, KilledAndPreemptedSweepResumesToTheCountsOfAnUninterruptedOne) {
  testing::TempDir dir;
  testing::write_text(dir / "sweep.yaml", kSweep);
  const std::string config = (dir / "sweep.yaml").string();
  // The reference: one process, never interrupted.
  auto clean = run_command({TESSERA_BIN, "run", config, "output.dir=" + (dir / "clean").string()},
                           std::chrono::seconds(240));
  ASSERT_EQ(clean.exit_code, 0) << clean.output;

  // Two ranks, killed (SIGKILL to mpirun and its ranks) once a snapshot and
  // the journal both hold chunks.
  const auto run = dir / "killed";
  const std::int64_t total = [&] {
    std::int64_t t = 0;
    for (const auto& [id, c] : counts(dir / "clean/results.h5")) {
      t += c.first;
    }
    return t;
  }();
  const int killed = run_and_signal_when(
      with(testing::mpirun(2), {TESSERA_BIN, "run", config, "output.dir=" + run.string()}), dir / "killed.log",
      [&] { return std::filesystem::exists(run / "results.csv") && shots_so_far(run) > total / 4; }, SIGKILL,
      std::chrono::seconds(240));
  EXPECT_EQ(killed, 128 + SIGKILL) << testing::read_text(dir / "killed.log");
  const std::int64_t before_resume = shots_so_far(run);
  EXPECT_GT(before_resume, 0);
  EXPECT_LT(before_resume, total) << "the kill came after the sweep had finished";

  // One process, preempted (SIGTERM) as soon as it has added work: it
  // finishes its chunk, saves and exits with code 3.
  const int preempted = run_and_signal_when(
      {TESSERA_BIN, "run", config, "output.dir=" + run.string()}, dir / "preempted.log",
      [&] { return shots_so_far(run) > before_resume; }, SIGTERM, std::chrono::seconds(240));
  const std::string preempted_log = testing::read_text(dir / "preempted.log");
  EXPECT_EQ(preempted, 3) << preempted_log;
  EXPECT_THAT(preempted_log, HasSubstr("sweep: stop signal received; finishing the chunks in flight"));
  EXPECT_THAT(preempted_log, HasSubstr("resume with the same command"));

  auto resumed = run_command(with(testing::mpirun(2), {TESSERA_BIN, "run", config, "output.dir=" + run.string()}),
                             std::chrono::seconds(240));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("sweep: resuming from results.h5"));
  EXPECT_EQ(counts(run / "results.h5"), counts(dir / "clean/results.h5"));

  // A changed grid runs only the new point.
  auto grown = run_command({TESSERA_BIN, "run", config, "output.dir=" + run.string(),
                            "sweep.grid={distance: [3, 5, 7, 9], rounds: 10, p: [0.01, 0.02]}"},
                           std::chrono::seconds(240));
  ASSERT_EQ(grown.exit_code, 0) << grown.output;
  EXPECT_THAT(grown.output, HasSubstr("6/8 tasks finished"));
  auto after = counts(run / "results.h5");
  EXPECT_EQ(after.size(), 8u);
  for (const auto& [id, c] : counts(dir / "clean/results.h5")) {
    EXPECT_EQ(after.at(id), c) << "finished tasks are not run again";
  }
}

TEST(QecE2e, RunWritesResultsCsvAnalysisAndFigure) {
  testing::TempDir dir;
  auto r = run_command(with(testing::mpirun(2), {TESSERA_BIN, "run", "configs/qec_ci.yaml",
                                                  "output.dir=" + (dir / "run").string(), "sweep.max_shots=20000"}),
                       std::chrono::seconds(180));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("sweep: 12 tasks over 2 ranks"));
  const std::string csv = testing::read_text(dir / "run/results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 13);
  EXPECT_THAT(csv, HasSubstr("shots,errors,discards,seconds,decoder,strong_id,json_metadata,custom_counts\n"));
  EXPECT_THAT(testing::read_text(dir / "run/analysis.txt"), HasSubstr("basis x | p 0.01 | rounds 10 | decoder mwpm"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/epsilon_vs_distance.png"));
  EXPECT_EQ(jobs::sweep::read_results(dir / "run/results.h5").size(), 12u);
}

TEST(QecE2e, ValidateNamesTheLineOfABadGridPoint) {
  testing::TempDir dir;
  testing::write_text(dir / "bad.yaml", "job: qec\nsweep:\n  grid:\n    distance: [3, 1]\n    rounds: 2\n");
  auto r = run_command({TESSERA_BIN, "validate", (dir / "bad.yaml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:4: sweep.grid"));
  EXPECT_THAT(r.output, HasSubstr("distance = 1 (must be in [2, 1000])"));
}

TEST(QecE2e, ExportCircuitPrintsWhatTheSimulatorRuns) {
  auto r = run_command({TESSERA_BIN, "qec", "export-circuit", "--distance", "5", "--rounds", "4", "--p", "0.001",
                        "--basis", "x", "--before-measure-flip-probability", "0.002"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  jobs::quantum::RepetitionCode code{.distance = 5, .rounds = 4, .basis = jobs::quantum::Basis::kX,
                                     .noise = jobs::quantum::RepetitionCodeNoise::uniform(0.001)};
  code.noise.before_measure_flip_probability = 0.002;
  EXPECT_EQ(r.output, jobs::quantum::make_repetition_code_circuit(code).to_stim());
  auto dem = run_command({TESSERA_BIN, "qec", "export-circuit", "-d", "3", "-r", "2", "--p", "0.01", "--dem"});
  ASSERT_EQ(dem.exit_code, 0) << dem.output;
  EXPECT_THAT(dem.output, HasSubstr(" D0 D2\n"));
  EXPECT_THAT(dem.output, HasSubstr("detector(3, 2) D5\n"));
}

}  // namespace
}  // namespace tessera
