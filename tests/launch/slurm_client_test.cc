// Reading what Slurm's commands print, and running programs.

#include "launch/slurm_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tessera::launch {
namespace {

using ::testing::HasSubstr;

// `scontrol show job -o 3` on the CI cluster, after a preemption requeue.
constexpr const char* kRequeuedJob =
    "JobId=3 JobName=my job UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901757 "
    "Nice=0 Account=(null) QOS=(null) JobState=COMPLETED Reason=None Dependency=(null) Requeue=1 "
    "Restarts=1 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:07 TimeLimit=00:10:00 "
    "TimeMin=N/A SubmitTime=2026-11-22T00:24:20 Partition=debug AllocNode:Sid=localhost:9626 "
    "NodeList=vm BatchHost=vm NumNodes=1 NumCPUs=6 NumTasks=2 CPUs/Task=3 "
    "Command=/tmp/lx/victim.sh WorkDir=/tmp/lx StdErr=/tmp/lx/victim-3.out StdIn=/dev/null "
    "StdOut=/tmp/lx/victim-3.out Power= \n";

TEST(ScontrolJob, ParsesTheFieldsStatusShows) {
  SlurmJob job = parse_scontrol_job(kRequeuedJob);
  EXPECT_EQ(job.id, "3");
  EXPECT_EQ(job.name, "my job");  // a value with a space
  EXPECT_EQ(job.state, "COMPLETED");
  EXPECT_EQ(job.reason, "None");
  EXPECT_EQ(job.restarts, 1);
  EXPECT_EQ(job.run_time, "00:00:07");
  EXPECT_EQ(job.time_limit, "00:10:00");
  EXPECT_EQ(job.exit_code, "0:0");
  EXPECT_EQ(job.partition, "debug");
  EXPECT_EQ(job.nodes, "vm");
  EXPECT_EQ(job.std_out, "/tmp/lx/victim-3.out");
}

TEST(ScontrolJob, DurationsAsScontrolPrintsThem) {
  EXPECT_EQ(parse_slurm_duration("00:05:00"), 300);
  EXPECT_EQ(parse_slurm_duration("1-02:03:04"), 93784);
  EXPECT_EQ(parse_slurm_duration("UNLIMITED"), std::nullopt);
  EXPECT_EQ(parse_slurm_duration("5:00"), std::nullopt);
}

TEST(RunProgram, CapturesOutputErrorsAndExitStatus) {
  ProgramResult r = run_program({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(RunProgram, KillsWhatOutlivesItsTimeout) {
  ProgramResult r = run_program({"sleep", "30"}, std::chrono::seconds(1));
  EXPECT_EQ(r.exit_code, 128 + 9);
  EXPECT_THAT(r.err, HasSubstr("was killed"));
}

TEST(RunProgram, AMissingProgramIs127) {
  ProgramResult r = run_program({"/nonexistent/program"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/program"));
  EXPECT_EQ(find_program("surely-not-a-program-name"), "");
  EXPECT_NE(find_program("sh"), "");
}

}  // namespace
}  // namespace tessera::launch
