// The batch script tessera submit writes: what Slurm is asked for and how the
// ranks are started.

#include "launch/batch_script.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.h"

namespace tessera::launch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

BatchScriptInput input() {
  BatchScriptInput in;
  in.slurm.nodes = 2;
  in.slurm.ntasks_per_node = 4;
  in.slurm.time = "01:30:00";
  in.job_name = "fmnist";
  in.run_dir = "/scratch/runs/fmnist";
  in.config_file = "/scratch/runs/fmnist/submit.yaml";
  in.workdir = "/home/me/project";
  in.tessera = "/opt/tessera/bin/tessera";
  in.origin = "job.yaml --nodes 2";
  return in;
}

TEST(BatchScript, AsksForTheAllocationARequeueAndAnAppendingLog) {
  std::string script = make_batch_script(input());
  EXPECT_EQ(script.rfind("#!/bin/bash\n", 0), 0U);
  EXPECT_THAT(script, HasSubstr("#SBATCH --job-name=fmnist\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --nodes=2\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --ntasks-per-node=4\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --time=01:30:00\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --requeue\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --open-mode=append\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --output=/scratch/runs/fmnist/logs/slurm-%j.out\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --chdir=/home/me/project\n"));
  // Unset options are left to Slurm's defaults.
  EXPECT_THAT(script, Not(HasSubstr("--partition")));
  EXPECT_THAT(script, Not(HasSubstr("--gpus-per-node")));
  EXPECT_THAT(script, Not(HasSubstr("--cpus-per-task")));
}

TEST(BatchScript, SrunStartsEveryRankThroughPmixAndResumes) {
  std::string script = make_batch_script(input());
  EXPECT_THAT(
      script,
      HasSubstr("srun --mpi=pmix --kill-on-bad-exit=1 /opt/tessera/bin/tessera run "
                "/scratch/runs/fmnist/submit.yaml checkpoint.resume=auto\n"));
  // The warning signal goes to the ranks, not only to the batch shell.
  EXPECT_THAT(script, HasSubstr("#SBATCH --signal=USR1@120\n"));
  EXPECT_THAT(script, Not(HasSubstr("B:")));
  // Every start logs the restart count.
  EXPECT_THAT(script, HasSubstr("${SLURM_RESTART_COUNT:-0}"));
}

TEST(BatchScript, PassesCpusPerTaskToSrunToo) {
  BatchScriptInput in = input();
  in.slurm.cpus_per_task = 6;
  in.slurm.gpus_per_node = 4;
  std::string script = make_batch_script(in);
  EXPECT_THAT(script, HasSubstr("#SBATCH --cpus-per-task=6\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --gpus-per-node=4\n"));
  EXPECT_THAT(script, HasSubstr("srun --mpi=pmix --kill-on-bad-exit=1 --cpus-per-task=6 "));
}

TEST(BatchScript, CarriesPartitionAccountQosExtraOptionsAndSetup) {
  BatchScriptInput in = input();
  in.slurm.partition = "gpu";
  in.slurm.account = "proj42";
  in.slurm.qos = "high";
  in.slurm.sbatch_args = {"--mem=64G", "--constraint=a100"};
  in.slurm.setup = {"module load cuda/12"};
  std::string script = make_batch_script(in);
  EXPECT_THAT(
      script, HasSubstr("#SBATCH --partition=gpu\n#SBATCH --account=proj42\n#SBATCH --qos=high\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --mem=64G\n#SBATCH --constraint=a100\n"));
  // Setup runs after the #SBATCH block (sbatch stops reading options at the
  // first command) and before the launch.
  EXPECT_LT(script.find("#SBATCH --constraint"), script.find("module load cuda/12"));
  EXPECT_LT(script.find("module load cuda/12"), script.find("srun --mpi=pmix"));
}

TEST(BatchScript, MpirunGetsTheSignalThroughTheBatchShell) {
  BatchScriptInput in = input();
  in.slurm.launcher = "mpirun";
  in.slurm.signal = "USR2";
  in.slurm.signal_before = config::Seconds(300);
  std::string script = make_batch_script(in);
  EXPECT_THAT(script, HasSubstr("#SBATCH --signal=B:USR2@300\n"));
  EXPECT_THAT(script, HasSubstr("mpirun /opt/tessera/bin/tessera run"));
  EXPECT_THAT(script, HasSubstr("trap 'kill -USR2 \"$launcher\"' USR2"));
  EXPECT_THAT(script, Not(HasSubstr("srun")));
}

TEST(BatchScript, QuotesWhatTheShellWouldSplit) {
  BatchScriptInput in = input();
  in.tessera = "/opt/my tools/tessera";
  std::string script = make_batch_script(in);
  EXPECT_THAT(script, HasSubstr("'/opt/my tools/tessera' run"));
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("a.b=1"), "a.b=1");
  EXPECT_EQ(shell_quote(""), "''");
}

TEST(BatchScript, RefusesARunDirectorySbatchCannotCarry) {
  BatchScriptInput in = input();
  in.run_dir = "/scratch/my runs/x";
  EXPECT_THROW(make_batch_script(in), ConfigError);
}

TEST(BatchScript, SlurmOutputFileNamesTheJob) {
  EXPECT_EQ(slurm_output_file("/r", "42"), std::filesystem::path("/r/logs/slurm-42.out"));
}

}  // namespace
}  // namespace tessera::launch
