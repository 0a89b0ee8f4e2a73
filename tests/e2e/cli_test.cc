// The CLI as a user types it: real processes, real mpirun.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/metrics_writer.h"
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

TEST(Cli, VersionPrintsVersionAndFeatures) {
  auto r = run_command({TESSERA_BIN, "version"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tessera 0."));
  EXPECT_THAT(r.output, HasSubstr("nccl:"));
}

TEST(Cli, UnknownSubcommandIsAUsageError) {
  auto r = run_command({TESSERA_BIN, "frobnicate"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST(Cli, ValidateBadConfigPrintsFileLineErrorsAndFails) {
  testing::TempDir dir;
  testing::write_text(dir / "bad.yaml", "job: test_count\nsteps: 0\nruntime:\n  backnd: mpi\n");
  auto r = run_command({TESSERA_TEST_BIN, "validate", (dir / "bad.yaml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("bad.yaml: 2 problems"));
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:2: steps = 0 (must be >= 1)"));
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:4: runtime.backnd (unknown key; did you mean 'backend'?)"));
}

TEST(Cli, ValidateGoodConfigPrintsTheResolvedConfig) {
  testing::TempDir dir;
  testing::write_text(dir / "ok.yaml", "job: test_count\nsteps: 3\n");
  auto r = run_command({TESSERA_TEST_BIN, "validate", (dir / "ok.yaml").string(), "steps=5"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("steps: 5"));
  EXPECT_THAT(r.output, HasSubstr("threads_per_rank: 1"));
}

TEST(Cli, JobsListsKindsWithOptionsAndDefaults) {
  auto r = run_command({TESSERA_TEST_BIN, "jobs"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("job: test_count"));
  EXPECT_THAT(r.output, HasSubstr("steps: 10"));
  EXPECT_THAT(r.output, HasSubstr("runtime.backend: auto"));
}

TEST(Cli, BenchListsBenchmarksAndPassesHelpToTheNamedOne) {
  auto list = run_command({TESSERA_BIN, "bench", "--help"});
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("ckpt "));
  for (const char* name : {"ckpt", "comm", "data", "layerwise", "qec", "statevector"}) {
    auto help = run_command({TESSERA_BIN, "bench", name, "--help"});
    EXPECT_EQ(help.exit_code, 0) << name << ": " << help.output;
    EXPECT_THAT(help.output, HasSubstr(std::string("bench ") + name)) << help.output;
  }
  auto unknown = run_command({TESSERA_BIN, "bench", "nonesuch"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("no benchmark 'nonesuch'"));
}

TEST(Cli, DoctorAloneReportsOneRank) {
  auto r = run_command({TESSERA_BIN, "doctor"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tessera doctor: 1 rank, launcher none"));
  EXPECT_THAT(r.output, HasSubstr("0/1"));
}

TEST(Cli, DoctorUnderMpirunReportsEveryRank) {
  auto r = run_command(with(testing::mpirun(2), {TESSERA_BIN, "doctor"}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tessera doctor: 2 ranks, launcher mpirun"));
  EXPECT_THAT(r.output, HasSubstr("0/2"));
  EXPECT_THAT(r.output, HasSubstr("1/2"));
  EXPECT_THAT(r.output, HasSubstr("MPI_THREAD_MULTIPLE"));
}

TEST(Cli, RunUnderMpirunWritesTheRunDirectory) {
  testing::TempDir dir;
  testing::write_text(dir / "count.yaml", "job: test_count\nname: c\nsteps: 4\n");
  auto r = run_command(with(testing::mpirun(2), {TESSERA_TEST_BIN, "run", (dir / "count.yaml").string(),
                                                 "output.dir=" + (dir / "run").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[rank 0/2]"));
  EXPECT_THAT(r.output, HasSubstr("job 'c' (test_count) on 2 ranks via mpirun"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/config.yaml"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/logs/rank-00000.log"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/logs/rank-00001.log"));
  runtime::MetricSeries value = runtime::read_metric(dir / "run/metrics.h5", "value");
  EXPECT_EQ(value.steps, (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST(Cli, RunWithABadConfigFailsOnEveryRankWithOneMessage) {
  testing::TempDir dir;
  testing::write_text(dir / "bad.yaml", "job: test_count\nsteps: -1\n");
  auto r = run_command(with(testing::mpirun(2), {TESSERA_TEST_BIN, "run", (dir / "bad.yaml").string()}));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:2: steps = -1 (must be >= 1)"));
  // Reported once, by the lowest failing rank.
  EXPECT_EQ(r.output.find("steps = -1"), r.output.rfind("steps = -1")) << r.output;
}

}  // namespace
}  // namespace tessera
