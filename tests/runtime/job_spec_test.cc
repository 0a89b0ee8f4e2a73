// The common job header's `slurm:` section (defaults for tessera submit).

#include "runtime/job_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "runtime/job_registry.h"

namespace tessera::runtime {
namespace {

using ::testing::HasSubstr;

struct NothingConfig final : JobConfig {
  void fields(config::Fields& /*f*/) override {}
};

class NothingJob final : public Job {
 public:
  explicit NothingJob(const NothingConfig& /*config*/) {}
  void run(JobContext& /*context*/) override {}
};

ResolvedJob resolve(const std::string& yaml) {
  JobRegistry registry;
  registry.add<NothingConfig, NothingJob>("nothing", "does nothing");
  return resolve_job({"job.yaml", YAML::Load(yaml)}, registry);
}

std::string errors_of(const std::string& yaml) {
  try {
    resolve(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(SlurmSection, DefaultsAskForOneRankWithAWarningSignal) {
  SlurmConfig slurm = resolve("job: nothing\n").spec.slurm;
  EXPECT_EQ(slurm.nodes, 1);
  EXPECT_EQ(slurm.ntasks_per_node, 1);
  EXPECT_EQ(slurm.time, "");
  EXPECT_EQ(slurm.signal, "USR1");
  EXPECT_EQ(slurm.signal_before.count(), 120);
  EXPECT_EQ(slurm.launcher, "srun");
}

TEST(SlurmSection, ReadsEveryOption) {
  SlurmConfig slurm = resolve(R"(job: nothing
slurm:
  nodes: 2
  ntasks_per_node: 4
  gpus_per_node: 4
  cpus_per_task: 8
  time: "1-12:00:00"
  partition: gpu
  account: proj
  qos: high
  signal: USR2
  signal_before: 5min
  launcher: mpirun
  sbatch_args: [--mem=64G]
  setup: [module load cuda]
)")
                          .spec.slurm;
  EXPECT_EQ(slurm.nodes, 2);
  EXPECT_EQ(slurm.ntasks_per_node, 4);
  EXPECT_EQ(slurm.gpus_per_node, 4);
  EXPECT_EQ(slurm.cpus_per_task, 8);
  EXPECT_EQ(slurm.time, "1-12:00:00");
  EXPECT_EQ(slurm.partition, "gpu");
  EXPECT_EQ(slurm.account, "proj");
  EXPECT_EQ(slurm.qos, "high");
  EXPECT_EQ(slurm.signal, "USR2");
  EXPECT_EQ(slurm.signal_before.count(), 300);
  EXPECT_EQ(slurm.launcher, "mpirun");
  EXPECT_EQ(slurm.sbatch_args, std::vector<std::string>{"--mem=64G"});
  EXPECT_EQ(slurm.setup, std::vector<std::string>{"module load cuda"});
}

TEST(SlurmSection, RejectsBadValuesWithFileAndLine) {
  std::string errors = errors_of(R"(job: nothing
slurm:
  nodes: 0
  time: "2 hours"
  launcher: torchrun
  sbatch_args: [mem=4G]
)");
  EXPECT_THAT(errors, HasSubstr("job.yaml:3: slurm.nodes = 0 (must be >= 1)"));
  EXPECT_THAT(errors, HasSubstr("job.yaml:4: slurm.time = 2 hours (must be a Slurm time"));
  EXPECT_THAT(
      errors, HasSubstr("job.yaml:5: slurm.launcher = torchrun (must be one of srun, mpirun)"));
  EXPECT_THAT(errors, HasSubstr("slurm.sbatch_args"));
}

TEST(SlurmSection, TheWarningMustComeBeforeTheTimeLimit) {
  std::string errors = errors_of("job: nothing\nslurm: {time: \"1\"}\n");
  EXPECT_THAT(errors, HasSubstr("slurm.signal_before"));
  EXPECT_THAT(errors, HasSubstr("must be shorter than slurm.time = 1 (1min)"));
  EXPECT_EQ(errors_of("job: nothing\nslurm: {time: \"1\", signal_before: 30s}\n"), "no error");
}

TEST(SlurmTime, ParsesEverySlurmFormat) {
  auto seconds = [](std::string_view text) {
    std::optional<config::Seconds> s = parse_slurm_time(text);
    return s ? s->count() : -1.0;
  };
  EXPECT_EQ(seconds("30"), 1800);           // minutes
  EXPECT_EQ(seconds("30:15"), 1815);        // minutes:seconds
  EXPECT_EQ(seconds("02:00:00"), 7200);     // hours:minutes:seconds
  EXPECT_EQ(seconds("1-12"), 129600);       // days-hours
  EXPECT_EQ(seconds("1-12:30"), 131400);    // days-hours:minutes
  EXPECT_EQ(seconds("1-00:00:10"), 86410);  // days-hours:minutes:seconds
  EXPECT_EQ(seconds("1:2:3:4"), -1);
  EXPECT_EQ(seconds("ten"), -1);
  EXPECT_EQ(seconds(""), -1);
  bool unlimited = false;
  EXPECT_FALSE(parse_slurm_time("UNLIMITED", &unlimited));
  EXPECT_TRUE(unlimited);
}

}  // namespace
}  // namespace tessera::runtime
