#include "runtime/launch_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tessera::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(LaunchDetection, AloneIsOneRank) {
  LaunchInfo info = detect_launch({{"HOME", "/root"}}, "vm");
  EXPECT_EQ(info.launcher, Launcher::kNone);
  EXPECT_EQ(info.rank, 0);
  EXPECT_EQ(info.size, 1);
  EXPECT_EQ(info.host, "vm");
  EXPECT_THAT(info.warnings, IsEmpty());
}

TEST(LaunchDetection, Mpirun) {
  LaunchInfo info = detect_launch({{"OMPI_COMM_WORLD_RANK", "3"},
                                   {"OMPI_COMM_WORLD_SIZE", "4"},
                                   {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                                   {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                                   {"OMPI_COMM_WORLD_NODE_RANK", "1"},
                                   {"OMPI_UNIVERSE_SIZE", "2"},  // slots, not ranks
                                   {"PMIX_RANK", "3"}},
                                  "vm");
  EXPECT_EQ(info.launcher, Launcher::kMpirun);
  EXPECT_EQ(info.rank, 3);
  EXPECT_EQ(info.size, 4);
  EXPECT_EQ(info.local_rank, 1);
  EXPECT_EQ(info.local_size, 2);
  EXPECT_TRUE(info.mpi_wired);
}

TEST(LaunchDetection, MpirunInsideSbatchIgnoresTheBatchScriptsSlurmVariables) {
  // Every rank inherits SLURM_PROCID=0 from the batch script, without SLURM_STEP_ID.
  LaunchInfo info = detect_launch({{"SLURM_JOB_ID", "42"},
                                   {"SLURM_PROCID", "0"},
                                   {"SLURM_NTASKS", "4"},
                                   {"SLURM_LOCALID", "0"},
                                   {"OMPI_COMM_WORLD_RANK", "2"},
                                   {"OMPI_COMM_WORLD_SIZE", "4"},
                                   {"OMPI_COMM_WORLD_LOCAL_RANK", "2"},
                                   {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"}},
                                  "vm");
  EXPECT_EQ(info.launcher, Launcher::kMpirun);
  EXPECT_EQ(info.rank, 2);
  EXPECT_EQ(info.size, 4);
  EXPECT_EQ(info.local_rank, 2);
  EXPECT_EQ(info.job_id, "42");
  EXPECT_TRUE(info.in_slurm_allocation);
  EXPECT_THAT(info.warnings, IsEmpty());
}

TEST(LaunchDetection, SrunWithPmix) {
  LaunchInfo info = detect_launch({{"SLURM_JOB_ID", "18"},
                                   {"SLURM_STEP_ID", "0"},
                                   {"SLURM_PROCID", "5"},
                                   {"SLURM_NTASKS", "8"},
                                   {"SLURM_STEP_NUM_TASKS", "8"},
                                   {"SLURM_LOCALID", "1"},
                                   {"SLURM_NODEID", "1"},
                                   {"SLURM_STEP_TASKS_PER_NODE", "4(x2)"},
                                   {"SLURM_STEP_NODELIST", "node[07-08]"},
                                   {"SLURM_RESTART_COUNT", "2"},
                                   {"SLURM_MPI_TYPE", "pmix"},
                                   {"PMIX_RANK", "5"}},
                                  "node08");
  EXPECT_EQ(info.launcher, Launcher::kSrun);
  EXPECT_EQ(info.rank, 5);
  EXPECT_EQ(info.size, 8);
  EXPECT_EQ(info.local_rank, 1);
  EXPECT_EQ(info.local_size, 4);
  EXPECT_EQ(info.node_rank, 1);
  EXPECT_EQ(info.restart_count, 2);
  EXPECT_EQ(info.master_addr, "node07");
  EXPECT_EQ(info.master_port, 15018);
  EXPECT_TRUE(info.mpi_wired);
  EXPECT_THAT(info.warnings, IsEmpty());
}

TEST(LaunchDetection, SrunWithoutPmixIsFlagged) {
  LaunchInfo info = detect_launch({{"SLURM_JOB_ID", "19"},
                                   {"SLURM_STEP_ID", "0"},
                                   {"SLURM_PROCID", "1"},
                                   {"SLURM_NTASKS", "2"},
                                   {"SLURM_STEP_NUM_TASKS", "2"},
                                   {"SLURM_LOCALID", "1"},
                                   {"SLURM_STEP_TASKS_PER_NODE", "2"}},
                                  "vm");
  EXPECT_EQ(info.launcher, Launcher::kSrun);
  EXPECT_EQ(info.rank, 1);
  EXPECT_FALSE(info.mpi_wired);
  ASSERT_EQ(info.warnings.size(), 1U);
  EXPECT_THAT(info.warnings[0], HasSubstr("without an MPI plugin"));
  EXPECT_THAT(info.warnings[0], HasSubstr("srun --mpi=pmix"));
  EXPECT_THAT(info.warnings[0], HasSubstr("SLURM_MPI_TYPE=pmix"));
}

TEST(LaunchDetection, SrunWithPmi2IsFlaggedBecauseOpenMpiNeedsPmix) {
  // Debian's Open MPI has no PMI-2 support: MPI_Init would abort.
  LaunchInfo info = detect_launch({{"SLURM_JOB_ID", "19"},
                                   {"SLURM_STEP_ID", "0"},
                                   {"SLURM_PROCID", "0"},
                                   {"SLURM_NTASKS", "2"},
                                   {"SLURM_STEP_NUM_TASKS", "2"},
                                   {"SLURM_MPI_TYPE", "pmi2"},
                                   {"PMI_RANK", "0"},
                                   {"PMI_SIZE", "2"}},
                                  "vm");
  EXPECT_EQ(info.launcher, Launcher::kSrun);
  EXPECT_FALSE(info.mpi_wired);
  ASSERT_EQ(info.warnings.size(), 1U);
  EXPECT_THAT(info.warnings[0], HasSubstr("--mpi=pmi2, which Open MPI cannot use"));
  EXPECT_THAT(info.warnings[0], HasSubstr("srun --mpi=pmix"));
}

TEST(LaunchDetection, OneSrunTaskWithoutPmixNeedsNoPlugin) {
  LaunchInfo info = detect_launch({{"SLURM_JOB_ID", "19"},
                                   {"SLURM_STEP_ID", "0"},
                                   {"SLURM_PROCID", "0"},
                                   {"SLURM_NTASKS", "1"},
                                   {"SLURM_STEP_NUM_TASKS", "1"}},
                                  "vm");
  EXPECT_EQ(info.launcher, Launcher::kSrun);
  EXPECT_EQ(info.size, 1);
  EXPECT_THAT(info.warnings, IsEmpty());
}

TEST(LaunchDetection, BatchScriptItselfIsOneProcessWithAWarning) {
  LaunchInfo info = detect_launch(
      {{"SLURM_JOB_ID", "20"}, {"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}}, "vm");
  EXPECT_EQ(info.launcher, Launcher::kNone);
  EXPECT_EQ(info.size, 1);
  ASSERT_EQ(info.warnings.size(), 1U);
  EXPECT_THAT(info.warnings[0], HasSubstr("batch script"));
}

TEST(LaunchDetection, TorchrunStyleVariablesWin) {
  LaunchInfo info = detect_launch({{"RANK", "1"},
                                   {"WORLD_SIZE", "2"},
                                   {"LOCAL_RANK", "1"},
                                   {"LOCAL_WORLD_SIZE", "2"},
                                   {"MASTER_ADDR", "10.0.0.1"},
                                   {"MASTER_PORT", "29400"},
                                   {"SLURM_JOB_ID", "21"},
                                   {"SLURM_STEP_ID", "0"},
                                   {"SLURM_PROCID", "0"}},
                                  "vm");
  EXPECT_EQ(info.launcher, Launcher::kTorchrun);
  EXPECT_EQ(info.rank, 1);
  EXPECT_EQ(info.size, 2);
  EXPECT_EQ(info.master_addr, "10.0.0.1");
  EXPECT_EQ(info.master_port, 29400);
  EXPECT_FALSE(info.mpi_wired);
}

TEST(LaunchDetection, MalformedValuesBecomeWarnings) {
  LaunchInfo info =
      detect_launch({{"OMPI_COMM_WORLD_RANK", "two"}, {"OMPI_COMM_WORLD_SIZE", "4"}}, "vm");
  EXPECT_EQ(info.rank, 0);
  EXPECT_THAT(info.warnings, ::testing::Contains(HasSubstr("OMPI_COMM_WORLD_RANK='two'")));
}

TEST(Hostlist, ExpandsRangesListsAndPadding) {
  EXPECT_EQ(expand_hostlist("vm"), (std::vector<std::string>{"vm"}));
  EXPECT_EQ(expand_hostlist("node[01-03,07],gpu5"),
            (std::vector<std::string>{"node01", "node02", "node03", "node07", "gpu5"}));
  // Zero padding follows the lower bound as written, as Slurm does.
  EXPECT_EQ(expand_hostlist("a[08-10]"), (std::vector<std::string>{"a08", "a09", "a10"}));
  EXPECT_EQ(expand_hostlist("a[8-10]"), (std::vector<std::string>{"a8", "a9", "a10"}));
}

TEST(TasksPerNode, ParsesRepeatCounts) {
  EXPECT_EQ(tasks_on_node("2(x3),1", 0), 2);
  EXPECT_EQ(tasks_on_node("2(x3),1", 2), 2);
  EXPECT_EQ(tasks_on_node("2(x3),1", 3), 1);
  EXPECT_EQ(tasks_on_node("4", 0), 4);
}

}  // namespace
}  // namespace tessera::runtime
