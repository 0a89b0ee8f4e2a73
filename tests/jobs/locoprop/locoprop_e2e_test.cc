// The locoprop job as a user runs it: `tessera run` under real mpirun on real
// Fashion-MNIST shards (a 4,096-image subset converted at test time).
//
// Runs are short (a 784-64-16 autoencoder, K = 4, batch 256, a dozen steps):
// the file takes well under a minute on 2 cores.

#include <signal.h>

#include <cmath>
#include <map>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/fashion_mnist.h"
#include "tests/testing/running_job.h"
#include "tests/testing/run_results.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

using ::testing::HasSubstr;

class LocoPropE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new testing::TempDir();
    datasets::FashionMnistOptions small;
    small.out = data_->path();
    small.per_shard = 512;
    small.limit = 4096;
    datasets::convert_fashion_mnist(small);
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }

  std::filesystem::path job(const std::string& name, const std::string& locoprop) {
    const std::string dir = data_->path().string();
    std::string yaml = fmt::format(
        "job: locoprop\nname: {}\nseed: 5\nplot: false\n"
        "runtime: {{progress_every: 0.2s}}\n"
        "data:\n  train: \"{}/fmnist-train-{{000000..000007}}.tar\"\n"
        "  eval: \"{}/fmnist-test-{{000000..000007}}.tar\"\n"
        "  fields: {{image: npy, label: cls}}\n  mode: memory\n  shuffle: 4096\n  batch_size: 256\n"
        "  target: input\n"
        "model: {{kind: autoencoder, layers: [784, 64, 16], activation: tanh,\n"
        "        weight_init: glorot_uniform, bias_init: glorot_uniform}}\n"
        "optim: {{kind: rmsprop_tf1, lr: 2.0e-4, momentum: 0.999, alpha: 0.9, eps: 1.0e-5}}\n"
        "train: {{steps: 12, loss: sigmoid_ce, log_every: 1, eval_every_epochs: 0,\n"
        "        schedule: {{kind: linear, warmup: 2, total: 12}}}}\n"
        "checkpoint: {{every_steps: 100}}\n"
        "locoprop: {}\n",
        name, dir, dir, locoprop);
    std::filesystem::path file = tmp_ / (name + ".yaml");
    testing::write_text(file, yaml);
    return file;
  }

  std::filesystem::path run(const std::filesystem::path& file, int ranks, const std::string& out,
                            const std::vector<std::string>& overrides = {}, int expect_exit = 0) {
    std::vector<std::string> argv = ranks > 0 ? testing::mpirun(ranks) : std::vector<std::string>{};
    const std::filesystem::path dir = tmp_ / out;
    for (const std::string& a : {std::string(TESSERA_BIN), std::string("run"), file.string(),
                                 "output.dir=" + dir.string()}) {
      argv.push_back(a);
    }
    argv.insert(argv.end(), overrides.begin(), overrides.end());
    testing::CommandResult r = testing::run_command(argv, std::chrono::seconds(180));
    EXPECT_EQ(r.exit_code, expect_exit) << r.output;
    last_output_ = r.output;
    return dir;
  }

  static testing::TempDir* data_;
  testing::TempDir tmp_;
  std::string last_output_;
};

testing::TempDir* LocoPropE2eTest::data_ = nullptr;

constexpr const char* kLocoPropM = "{mode: locoprop_m, local_iters: 4, activation_lr: 10}";

TEST_F(LocoPropE2eTest, DataParallelTwoRanksAndLayerParallelFollowOneRank) {
  auto file = job("m", kLocoPropM);
  auto one = run(file, 0, "np1");
  auto data = run(file, 2, "np2-data");
  auto layers = run(file, 2, "np2-layers", {"locoprop.parallel=layers"});
  EXPECT_THAT(last_output_, HasSubstr("layer owners [1, 0, 1, 0]"));  // the two 784x64 layers split
  const std::vector<double> reference = testing::metric_values(one, "loss");
  ASSERT_EQ(reference.size(), 12u);
  EXPECT_LT(reference.back(), reference.front() - 20) << "LocoProp-M does not learn";
  testing::expect_same_series(reference, testing::metric_values(data, "loss"), 1e-5, "-np 2 data-parallel");
  testing::expect_same_series(reference, testing::metric_values(layers, "loss"), 1e-5, "-np 2 layer-parallel");
  const auto params = testing::latest_checkpoint_arrays(one, "model/");
  EXPECT_LT(testing::max_difference(params, testing::latest_checkpoint_arrays(data, "model/")), 1e-5);
  EXPECT_LT(testing::max_difference(params, testing::latest_checkpoint_arrays(layers, "model/")), 1e-5);
  // The inner optimizers' state too (the owners broadcast theirs before saving).
  const auto inner = testing::latest_checkpoint_arrays(one, "optimizer/");
  ASSERT_EQ(inner.size(), 16u);  // 4 layers x (W, b) x (ms, mom)
  EXPECT_LT(testing::max_difference(inner, testing::latest_checkpoint_arrays(layers, "optimizer/")), 1e-5);
}

TEST_F(LocoPropE2eTest, ResumeContinuesBitForBitInDataParallelMode) {
  // (Layer-parallel resume: the SIGTERM test below.)
  auto file = job("resume", "{mode: locoprop_s, local_iters: 3, parallel: data}");
  auto whole = run(file, 2, "whole");
  // 5 steps, then the same run directory resumed to the full 12.
  auto split = run(file, 2, "split", {"train.steps=5"});
  run(file, 2, "split");
  EXPECT_THAT(last_output_, HasSubstr("resumed from"));
  const auto expected = testing::latest_checkpoint_arrays(whole, "");
  const auto actual = testing::latest_checkpoint_arrays(split, "");
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [name, values] : expected) {
    EXPECT_TRUE(values == actual.at(name)) << name << " differs after resume";
  }
  EXPECT_EQ(testing::metric_values(whole, "loss"), testing::metric_values(split, "loss"));
}

TEST_F(LocoPropE2eTest, SigtermThenResumeIsExactInLayerParallelMode) {
  // 80 steps, stopped by SIGTERM to every rank somewhere in the middle.
  auto file = job("sigterm", "{mode: locoprop_m, local_iters: 2, parallel: layers}");
  const std::vector<std::string> longer{"train.steps=80", "train.schedule.total=80", "train.log_every=5"};
  auto reference = run(file, 2, "uninterrupted", longer);
  std::vector<std::string> argv = testing::mpirun(2);
  for (const std::string& a : {std::string(TESSERA_BIN), std::string("run"), file.string(),
                               "output.dir=" + (tmp_ / "interrupted").string()}) {
    argv.push_back(a);
  }
  argv.insert(argv.end(), longer.begin(), longer.end());
  {
    testing::RunningJob running(argv);
    ASSERT_TRUE(running.wait_for("train step", std::chrono::seconds(120))) << running.output();
    for (pid_t rank : running.ranks()) {
      ::kill(rank, SIGTERM);
    }
    testing::CommandResult stopped = running.wait(std::chrono::seconds(120));
    ASSERT_EQ(stopped.exit_code, 3) << stopped.output;  // stopped with a checkpoint
    EXPECT_THAT(stopped.output, ::testing::Not(HasSubstr("stopped after step 80")));
  }
  auto resumed = run(file, 2, "interrupted", longer);
  EXPECT_THAT(last_output_, HasSubstr("resumed from"));
  const auto expected = testing::latest_checkpoint_arrays(reference, "");
  const auto actual = testing::latest_checkpoint_arrays(resumed, "");
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [name, values] : expected) {
    EXPECT_TRUE(values == actual.at(name)) << name << " differs after SIGTERM + resume";
  }
  EXPECT_EQ(testing::metric_values(reference, "loss"), testing::metric_values(resumed, "loss"));
}

TEST_F(LocoPropE2eTest, BackpropBaselineTrainsWithTheSameOptimizer) {
  auto file = job("bp", "{mode: bp}");
  auto one = run(file, 0, "bp1", {"optim.lr=2.0e-3"});
  auto two = run(file, 2, "bp2", {"optim.lr=2.0e-3"});
  const std::vector<double> reference = testing::metric_values(one, "loss");
  EXPECT_LT(reference.back(), reference.front() - 20);
  testing::expect_same_series(reference, testing::metric_values(two, "loss"), 1e-5, "bp -np 2");
}

TEST_F(LocoPropE2eTest, SweepComparesTheMethodsAtTheirBestLearningRates) {
  // Five whole runs (one epoch of 16 steps each) handed to two ranks.
  auto base = job("grid", kLocoPropM);
  std::string yaml = testing::read_text(base);
  yaml.replace(yaml.find("job: locoprop\n"), 14, "job: locoprop_sweep\n");
  yaml.replace(yaml.find("steps: 12"), 9, "epochs: 1");
  yaml += "sweep:\n  grid:\n    - {mode: [bp], lr: [1.0e-3, 3.0e-3]}\n"
          "    - {mode: [locoprop_s, locoprop_m], lr: [1.0e-4]}\n    - {mode: [locoprop_m], lr: [3.0e-4]}\n";
  testing::write_text(base, yaml);
  auto dir = run(base, 2, "grid", {"plot=true"});
  const std::string analysis = testing::read_text(dir / "analysis.txt");
  EXPECT_THAT(analysis, HasSubstr("best learning rate per mode"));
  EXPECT_THAT(analysis, HasSubstr("LocoProp-M < LocoProp-S < bp"));
  for (const char* mode : {"  bp ", "  locoprop_s ", "  locoprop_m "}) {
    EXPECT_THAT(analysis, HasSubstr(mode)) << analysis;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "results.h5"));
  EXPECT_TRUE(std::filesystem::exists(dir / "train_loss.png")) << last_output_;
  // Run again: every run is finished, nothing is trained twice.
  run(base, 2, "grid");
  EXPECT_THAT(last_output_, ::testing::Not(HasSubstr("locoprop_sweep bp lr")));
}

TEST_F(LocoPropE2eTest, ConfigMistakesAreRefusedWithTheKey) {
  auto file = job("bad", "{mode: locoprop_x}");
  testing::CommandResult r = testing::run_command({TESSERA_BIN, "validate", file.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("locoprop.mode"));
  auto accumulate = job("acc", kLocoPropM);
  r = testing::run_command({TESSERA_BIN, "validate", accumulate.string(), "train.accumulate=2"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("accumulate must be 1"));
  auto sweep = job("badgrid", kLocoPropM);
  std::string yaml = testing::read_text(sweep);
  yaml.replace(yaml.find("job: locoprop\n"), 14, "job: locoprop_sweep\n");
  testing::write_text(sweep, yaml + "sweep: {grid: {mode: [bp], momentum: [0.9]}}\n");
  r = testing::run_command({TESSERA_BIN, "validate", sweep.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("momentum"));
}

}  // namespace
}  // namespace tessera
