// The layerwise job as a user drives it: tessera run under mpirun (results,
// analysis table, figure), a sweep killed in the middle and preempted, then
// resumed to the same table as an uninterrupted run, and validate.

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

// Starts `argv` (output to `log`) in its own process group and sends `signal`
// to its whole process tree once `ready()` holds. Returns the exit code
// (128 + signal if killed by it).
int run_and_signal_when(
    const std::vector<std::string>& argv,
    const std::filesystem::path& log,
    const std::function<bool()>& ready,
    int signal,
    std::chrono::seconds limit) {
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
    const bool late = std::chrono::steady_clock::now() > deadline;
    if (late || ready()) {
      testing::signal_tree(pid, late ? SIGKILL : signal);
      ::waitpid(pid, &status, 0);
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Training runs recorded so far: rows of the last results.csv snapshot plus
// runs in the journal since.
int runs_so_far(const std::filesystem::path& run) {
  int runs = 0;
  std::ifstream csv(run / "results.csv");
  std::string line;
  std::getline(csv, line);
  while (std::getline(csv, line)) {
    runs += std::stoi(line.substr(0, line.find(',')));
  }
  jobs::sweep::ResultsJournal::replay(
      run / "results.journal", [&](const std::string&, std::int64_t, jobs::sweep::ChunkResult r) {
        runs += static_cast<int>(r.counts.shots);
      });
  return runs;
}

// Every run's curves and final angles, by task id.
std::map<std::string, std::map<std::string, std::vector<double>>> curves(
    const std::filesystem::path& results) {
  std::map<std::string, std::map<std::string, std::vector<double>>> out;
  for (const jobs::sweep::TaskRecord& r : jobs::sweep::read_results(results)) {
    for (const auto& [name, array] : r.total.arrays) {
      out[r.id][name] = array.values;
    }
  }
  return out;
}

// 24 runs of a few hundred milliseconds each.
const std::vector<std::string> kLonger = {
    "sweep.grid={seed: [0, 1, 2, 3, 4, 5], lr: [0.05, 0.1], strategy: [ll, cdl]}",
    "ll.epochs_per_step=4",
    "cdl.epochs=8",
    "data.train_examples=24"};

TEST(LayerwiseE2e, KilledAndPreemptedSweepResumesToTheTableOfAnUninterruptedOne) {
  testing::TempDir dir;
  const std::string config = "configs/layerwise_ci.yaml";
  auto args = [&](const std::filesystem::path& out) {
    return with(
        {TESSERA_BIN, "run", config, "output.dir=" + out.string(), "layerwise.plot=false"},
        kLonger);
  };
  auto clean = run_command(args(dir / "clean"), std::chrono::seconds(240));
  ASSERT_EQ(clean.exit_code, 0) << clean.output;
  const int total = runs_so_far(dir / "clean");
  ASSERT_EQ(total, 24);

  // Two ranks, SIGKILLed (mpirun and its ranks) once a quarter of the runs are recorded.
  const auto run = dir / "killed";
  const int killed = run_and_signal_when(
      with(testing::mpirun(2), args(run)),
      dir / "killed.log",
      [&] { return runs_so_far(run) >= total / 4; },
      SIGKILL,
      std::chrono::seconds(240));
  EXPECT_EQ(killed, 128 + SIGKILL) << testing::read_text(dir / "killed.log");
  const int before = runs_so_far(run);
  EXPECT_LT(before, total) << "the kill came after the sweep had finished";

  // One process, preempted (SIGTERM) once it has added a run: it finishes the
  // runs in flight, saves, and exits with code 3.
  const int preempted = run_and_signal_when(
      args(run),
      dir / "preempted.log",
      [&] { return runs_so_far(run) > before; },
      SIGTERM,
      std::chrono::seconds(240));
  const std::string preempted_log = testing::read_text(dir / "preempted.log");
  EXPECT_EQ(preempted, 3) << preempted_log;
  EXPECT_THAT(preempted_log, HasSubstr("resuming from results.h5"));
  EXPECT_THAT(preempted_log, HasSubstr("layerwise analysis (so far; the sweep was stopped)"));

  auto resumed = run_command(with(testing::mpirun(2), args(run)), std::chrono::seconds(240));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("sweep: resuming from results.h5"));
  EXPECT_EQ(
      testing::read_text(run / "analysis.txt"), testing::read_text(dir / "clean/analysis.txt"));
  EXPECT_EQ(curves(run / "results.h5"), curves(dir / "clean/results.h5"));

  // Another learning rate adds only its runs.
  auto grown = run_command(
      with(
          args(run),
          {"sweep.grid={seed: [0, 1, 2, 3, 4, 5], lr: [0.05, 0.1, 0.2], strategy: "
           "[ll, cdl]}"}),
      std::chrono::seconds(240));
  ASSERT_EQ(grown.exit_code, 0) << grown.output;
  EXPECT_THAT(grown.output, HasSubstr("24/36 tasks finished"));
  const auto after = curves(run / "results.h5");
  EXPECT_EQ(after.size(), 36u);
  for (const auto& [id, arrays] : curves(dir / "clean/results.h5")) {
    EXPECT_EQ(after.at(id), arrays) << "finished runs are kept as they were";
  }
}

TEST(LayerwiseE2e, RunUnderMpirunWritesCurvesTableAndFigure) {
  testing::TempDir dir;
  auto r = run_command(
      with(
          testing::mpirun(2),
          {TESSERA_BIN,
           "run",
           "configs/layerwise_ci.yaml",
           "output.dir=" + (dir / "run").string()}),
      std::chrono::seconds(180));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("sweep: 12 tasks over 2 ranks"));
  const std::string table = testing::read_text(dir / "run/analysis.txt");
  EXPECT_THAT(table, HasSubstr("lr 0.05   shots 10  : successes LL "));
  EXPECT_THAT(table, HasSubstr("lr 0.1    shots 10  : successes LL "));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/test_error_vs_wallclock.png"));
  const auto records = jobs::sweep::read_results(dir / "run/results.h5");
  ASSERT_EQ(records.size(), 12u);
  for (const auto& record : records) {
    EXPECT_TRUE(record.finished);
    // LL: 3 growth steps + 2 partitions, 2 epochs each; CDL: 4 epochs; plus the untrained point.
    const std::size_t points = record.params["strategy"] == "ll" ? 11u : 5u;
    EXPECT_EQ(record.total.arrays.at("test_error").values.size(), points) << record.params.dump();
    EXPECT_EQ(
        record.total.arrays.at("parameters").values.size(),
        25u);  // 5 layers x (4 pixels + readout)
  }
}

TEST(LayerwiseE2e, ValidateNamesTheLineOfABadSetting) {
  testing::TempDir dir;
  testing::write_text(
      dir / "bad.yaml",
      "job: layerwise\nll:\n  start_layers: 2\n  max_trained_layers: 1\nsweep:\n  grid: {seed: "
      "[0]}\n");
  auto r = run_command({TESSERA_BIN, "validate", (dir / "bad.yaml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ll.max_trained_layers"));
  testing::write_text(
      dir / "grid.yaml", "job: layerwise\nsweep:\n  grid:\n    strategy: [ll, greedy]\n");
  auto g = run_command({TESSERA_BIN, "validate", (dir / "grid.yaml").string()});
  EXPECT_EQ(g.exit_code, 2) << g.output;
  EXPECT_THAT(g.output, HasSubstr("grid.yaml:4: sweep.grid"));
  EXPECT_THAT(g.output, HasSubstr("strategy = greedy (must be ll or cdl)"));
}

}  // namespace
}  // namespace tessera
