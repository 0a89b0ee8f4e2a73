// The data_parallel job as a user runs it: `tessera run` under real mpirun on
// real Fashion-MNIST shards (converted at test time from Debian's package).
//
// Run lengths are kept short (small models, tens of steps) so the whole file
// takes about a minute on 2 cores; the configs/ hold the real runs.

#include <signal.h>

#include <cmath>
#include <map>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/fashion_mnist.h"
#include "runtime/checkpoint/checkpoint_catalog.h"
#include "runtime/metrics_writer.h"
#include "tests/testing/running_job.h"
#include "tests/testing/run_results.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

using ::testing::HasSubstr;

// Shards of the whole data set and of a 4,096-image subset, made once.
class DataParallelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new testing::TempDir();
    datasets::FashionMnistOptions full;
    full.out = data_->path() / "full";
    datasets::convert_fashion_mnist(full);
    datasets::FashionMnistOptions small;
    small.out = data_->path() / "small";
    small.per_shard = 512;
    small.limit = 4096;
    datasets::convert_fashion_mnist(small);
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }

  // A job file over the `set` ("full" or "small") shards, plus `body`.
  std::filesystem::path job(const std::string& name, const std::string& set, const std::string& body) {
    const std::filesystem::path dir = data_->path() / set;
    const int train_shards = set == "full" ? 60 : 8;
    const int test_shards = set == "full" ? 10 : 8;
    std::string yaml = fmt::format(
        "job: data_parallel\nname: {}\nseed: 3\nplot: false\n"
        "runtime: {{progress_every: 0.2s}}\n"
        "data:\n  train: \"{}/fmnist-train-{{000000..{:06d}}}.tar\"\n"
        "  eval: \"{}/fmnist-test-{{000000..{:06d}}}.tar\"\n"
        "  fields: {{image: npy, label: cls}}\n{}",
        name, dir.string(), train_shards - 1, dir.string(), test_shards - 1, body);
    std::filesystem::path file = tmp_ / (name + ".yaml");
    testing::write_text(file, yaml);
    return file;
  }

  // Runs `file` on `ranks` ranks into <tmp>/<out>; returns the run directory.
  std::filesystem::path run(const std::filesystem::path& file, int ranks, const std::string& out,
                            const std::vector<std::string>& overrides = {}, int expect_exit = 0) {
    std::vector<std::string> argv = ranks > 0 ? testing::mpirun(ranks) : std::vector<std::string>{};
    const std::filesystem::path dir = tmp_ / out;
    for (const std::string& a : {std::string(TESSERA_BIN), std::string("run"), file.string(),
                                 "output.dir=" + dir.string()}) {
      argv.push_back(a);
    }
    argv.insert(argv.end(), overrides.begin(), overrides.end());
    testing::CommandResult r = testing::run_command(argv, std::chrono::seconds(240));
    EXPECT_EQ(r.exit_code, expect_exit) << r.output;
    last_output_ = r.output;
    return dir;
  }

  static testing::TempDir* data_;
  testing::TempDir tmp_;
  std::string last_output_;
};

testing::TempDir* DataParallelTest::data_ = nullptr;

// Ranks of the runs below that are not about world sizes.
constexpr int kRanks = 2;

// A small classifier, 16 steps of a global batch of 64, loss logged every step.
constexpr const char* kSmallClassifier =
    "  mode: memory\n  shuffle: 4096\n  batch_size: 64\n"
    "model: {kind: mlp, layers: [784, 64, 10]}\n"
    "optim: {kind: sgd, lr: 0.05, momentum: 0.9, nesterov: true}\n"
    "train: {steps: 16, loss: softmax_ce, log_every: 1, eval_every_epochs: 0, clip_grad_norm: 5.0,\n"
    "        schedule: {kind: cosine, warmup: 4}}\n";

TEST_F(DataParallelTest, TwoAndFourRanksFollowOneRankStepByStep) {
  auto file = job("ddp", "small", kSmallClassifier);
  auto one = run(file, 0, "np1");
  auto two = run(file, 2, "np2");
  auto four = run(file, 4, "np4");
  const std::vector<double> reference = testing::metric_values(one, "loss");
  ASSERT_EQ(reference.size(), 16u);
  EXPECT_LT(reference.back(), reference.front());
  testing::expect_same_series(reference, testing::metric_values(two, "loss"), 1e-5, "-np 2");
  testing::expect_same_series(reference, testing::metric_values(four, "loss"), 1e-5, "-np 4");
  const auto params = testing::latest_checkpoint_arrays(one, "model/");
  EXPECT_LT(testing::max_difference(params, testing::latest_checkpoint_arrays(two, "model/")), 1e-5);
  EXPECT_LT(testing::max_difference(params, testing::latest_checkpoint_arrays(four, "model/")), 1e-5);
}

TEST_F(DataParallelTest, TwoMicroBatchesEqualOneBatchOfTwiceTheSize) {
  auto file = job("accumulate", "small", kSmallClassifier);
  auto whole = run(file, 0, "whole");
  auto halves = run(file, 0, "halves", {"train.accumulate=2"});
  auto halves_on_two = run(file, 2, "halves2", {"train.accumulate=2"});  // no_sync on the first
  testing::expect_same_series(testing::metric_values(whole, "loss"), testing::metric_values(halves, "loss"), 1e-5, "accumulate 2");
  testing::expect_same_series(testing::metric_values(whole, "loss"), testing::metric_values(halves_on_two, "loss"), 1e-5, "accumulate 2 on 2 ranks");
  EXPECT_LT(testing::max_difference(testing::latest_checkpoint_arrays(whole, "model/"), testing::latest_checkpoint_arrays(halves, "model/")), 1e-5);
  EXPECT_LT(testing::max_difference(testing::latest_checkpoint_arrays(whole, "model/"), testing::latest_checkpoint_arrays(halves_on_two, "model/")), 1e-5);
}

TEST_F(DataParallelTest, SigtermThenResumeEndsBitwiseIdentical) {
  // 120 steps of the deep autoencoder on small batches: long enough to stop in the middle.
  auto file = job("resume", "small",
                  "  mode: stream\n  shuffle: 256\n  batch_size: 64\n  target: input\n"
                  "model: {kind: autoencoder, layers: [784, 256, 64, 16], activation: tanh}\n"
                  "optim: {kind: adam, lr: 1.0e-3}\n"
                  "train: {steps: 120, loss: sigmoid_ce, log_every: 5, eval_every_steps: 50}\n"
                  "checkpoint: {every_steps: 40, keep: 2}\n");
  auto reference = run(file, kRanks, "uninterrupted");

  std::vector<std::string> argv = testing::mpirun(kRanks);
  for (const std::string& a : {std::string(TESSERA_BIN), std::string("run"), file.string(),
                               "output.dir=" + (tmp_ / "interrupted").string()}) {
    argv.push_back(a);
  }
  {
    testing::RunningJob job(argv);
    ASSERT_TRUE(job.wait_for("train step", std::chrono::seconds(120))) << job.output();
    for (pid_t rank : job.ranks()) {  // as Slurm does: every task gets the signal
      ::kill(rank, SIGTERM);
    }
    testing::CommandResult stopped = job.wait(std::chrono::seconds(120));
    ASSERT_EQ(stopped.exit_code, 3) << stopped.output;  // stopped with a checkpoint
    EXPECT_THAT(stopped.output, HasSubstr("stopped after step"));
    EXPECT_THAT(stopped.output, ::testing::Not(HasSubstr("stopped after step 120")));
  }
  auto resumed = run(file, kRanks, "interrupted");
  EXPECT_THAT(last_output_, HasSubstr("resumed from"));
  const auto expected = testing::latest_checkpoint_arrays(reference, "model/");
  const auto actual = testing::latest_checkpoint_arrays(resumed, "model/");
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [name, values] : expected) {
    EXPECT_TRUE(values == actual.at(name)) << name << " differs after stop + resume";
  }
  // The metric series continue exactly: same rows, same losses.
  EXPECT_EQ(testing::metric_values(reference, "loss"), testing::metric_values(resumed, "loss"));
}

TEST_F(DataParallelTest, ClassifierReaches85PercentTestAccuracyInThreeEpochs) {
  // 3 epochs of a 784-256-128-10 MLP (1,404 steps of 128, cosine decay) on 2 ranks, the full
  // 10,000-image test set.
  auto file = job("classifier", "full",
                  "  mode: memory\n  shuffle: 60000\n  batch_size: 128\n"
                  "model: {kind: mlp, layers: [784, 256, 128, 10]}\n"
                  "optim: {kind: adam, lr: 1.0e-3}\n"
                  "train: {epochs: 3, loss: softmax_ce, log_every: 50, eval_every_epochs: 1,\n"
                  "        schedule: {kind: cosine}}\n");
  auto dir = run(file, kRanks, "classifier");
  runtime::MetricSeries accuracy = runtime::read_metric(dir / "metrics.h5", "eval/accuracy");
  ASSERT_EQ(accuracy.values.size(), 3u);
  EXPECT_GE(accuracy.values.back(), 0.85) << last_output_;
}

TEST_F(DataParallelTest, AutoencoderLossFallsWellBelowItsStart) {
  // The paper's 784-1000-500-250-30 autoencoder, one epoch (60 steps of 1,000 images) on 2 ranks.
  auto file = job("autoencoder", "full",
                  "  mode: memory\n  shuffle: 60000\n  batch_size: 1000\n  target: input\n"
                  "model: {kind: autoencoder, layers: [784, 1000, 500, 250, 30], activation: tanh}\n"
                  "optim: {kind: adam, lr: 1.0e-3}\n"
                  "train: {steps: 60, loss: sigmoid_ce, log_every: 5, eval_at_start: true,\n"
                  "        eval_every_epochs: 0, eval_batch: 1000}\n");
  auto dir = run(file, kRanks, "autoencoder");
  runtime::MetricSeries eval = runtime::read_metric(dir / "metrics.h5", "eval/loss");
  ASSERT_EQ(eval.values.size(), 2u);
  EXPECT_NEAR(eval.values.front(), 784 * std::log(2.0), 30);  // ~543 before training
  EXPECT_LT(eval.values.back(), 0.7 * eval.values.front()) << last_output_;  // the floor is ~186
}

TEST_F(DataParallelTest, PlotDrawsTheRunsMetrics) {
  auto file = job("plotted", "small", kSmallClassifier);
  auto dir = run(file, 0, "plotted", {"plot=true"});
  EXPECT_TRUE(std::filesystem::exists(dir / "plots" / "loss.png"));
  testing::CommandResult r = testing::run_command(
      {TESSERA_BIN, "plot", dir.string(), dir.string(), "-m", "loss", "--svg", "-o", (tmp_ / "both").string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(testing::read_text(tmp_ / "both" / "loss.svg"), HasSubstr("<svg"));
}

TEST_F(DataParallelTest, GlobalBatchThatDoesNotDivideOverTheRanksIsRefused) {
  auto file = job("odd", "small", kSmallClassifier);
  run(file, 2, "odd", {"data.batch_size=63"}, 2);
  EXPECT_THAT(last_output_, HasSubstr("data.batch_size = 63 (the global batch must be divisible by the 2 ranks)"));
}

TEST_F(DataParallelTest, ShippedConfigsRunOnConvertedShards) {
  // configs/*.yaml as a user runs them after `tessera data convert fashion-mnist --out data/fmnist`,
  // cut to 2 steps on 2 ranks: their keys, shard names and model sizes hold together.
  const std::string shards = (data_->path() / "full").string() + "/";
  for (const std::string name : {"quickstart", "fmnist_autoencoder", "fmnist_classifier"}) {
    std::string yaml = testing::read_text("configs/" + name + ".yaml");
    for (std::size_t at = yaml.find("data/fmnist/"); at != std::string::npos; at = yaml.find("data/fmnist/", at)) {
      yaml.replace(at, std::string("data/fmnist/").size(), shards);
    }
    const std::filesystem::path file = tmp_ / (name + ".yaml");
    testing::write_text(file, yaml);
    auto dir = run(file, 2, name, {"train.steps=2", "train.eval_every_epochs=0", "plot=false"});
    EXPECT_EQ(testing::metric_values(dir, "loss").size(), 1u) << name << ": " << last_output_;  // the last step is always logged
  }
}

}  // namespace
}  // namespace tessera
