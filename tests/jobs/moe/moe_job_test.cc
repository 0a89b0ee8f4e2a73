// The moe job as a user runs it: `tessera run` under real mpirun on byte
// windows of real text (Debian's fortunes, converted at test time), a tiny
// model and a few steps per run, so the file takes well under a minute.
//
// Checked: training on 2 ranks with ep_size 2; a run stopped at a checkpoint
// and resumed on the same world size continues bitwise; checkpoints written
// with ep_size 2 resume with ep_size 1 (one rank), with ep_size 1 resume with
// ep_size 2, with ep_size 4 resume with ep_size 2, each continuing the same
// training (losses and the final eval to float tolerance).

#include <cmath>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/text_shards.h"
#include "runtime/metrics_writer.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

using ::testing::HasSubstr;

class MoeJobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new testing::TempDir();
    datasets::TextShardsOptions options;
    options.inputs = {"/usr/share/games/fortunes/computers"};
    options.out = data_->path();
    options.seq_len = 33;
    options.per_shard = 1'000'000;  // one shard per split
    datasets::convert_text(options);
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }

  std::filesystem::path job(const std::string& name) {
    const std::string dir = data_->path().string();
    std::string yaml = fmt::format(
        "job: moe\nname: {}\nseed: 5\n"
        "runtime: {{progress_every: 0.5s}}\n"
        "data:\n  train: \"{}/text-train-000000.tar\"\n  eval: \"{}/text-eval-000000.tar\"\n"
        "  fields: {{tokens: npy}}\n  mode: memory\n  shuffle: 10000\n  batch_size: 16\n"
        "model: {{d_model: 32, heads: 2, layers: 2, d_ff: 32, max_seq: 32}}\n"
        "moe: {{experts: 4, top_k: 2, ep_size: 2}}\n"
        "optim: {{kind: adamw, lr: 3.0e-3}}\n"
        "train: {{steps: 6, log_every: 1, clip_grad_norm: 1.0, schedule: {{kind: constant}}}}\n"
        "eval_batch: 64\n"
        "checkpoint: {{every_steps: 3, keep: 3}}\n",
        name, dir, dir);
    std::filesystem::path file = tmp_ / (name + ".yaml");
    testing::write_text(file, yaml);
    return file;
  }

  // Runs on `ranks` ranks (0: no mpirun) into <tmp>/<out>.
  std::filesystem::path run(int ranks, const std::string& out, const std::vector<std::string>& overrides = {},
                            bool expect_success = true) {
    std::vector<std::string> argv = ranks > 0 ? testing::mpirun(ranks) : std::vector<std::string>{};
    const std::filesystem::path dir = tmp_ / out;
    for (const std::string& a : {std::string(TESSERA_BIN), std::string("run"), job("moe-test").string(),
                                 "output.dir=" + dir.string()}) {
      argv.push_back(a);
    }
    argv.insert(argv.end(), overrides.begin(), overrides.end());
    testing::CommandResult r = testing::run_command(argv, std::chrono::seconds(180));
    if (expect_success) {
      EXPECT_EQ(r.exit_code, 0) << r.output;
    } else {
      EXPECT_NE(r.exit_code, 0) << r.output;
    }
    last_output_ = r.output;
    return dir;
  }

  static std::vector<double> series(const std::filesystem::path& run_dir, const std::string& name) {
    return runtime::read_metric(run_dir / "metrics.h5", name).values;
  }

  static void expect_close(const std::vector<double>& expected, const std::vector<double>& actual, double relative,
                           const std::string& what) {
    ASSERT_EQ(expected.size(), actual.size()) << what;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR(actual[i], expected[i], relative * std::abs(expected[i])) << what << ", entry " << i;
    }
  }

  static testing::TempDir* data_;
  testing::TempDir tmp_;
  std::string last_output_;
};

testing::TempDir* MoeJobTest::data_ = nullptr;

TEST_F(MoeJobTest, StopAndResumeIsBitwiseAndCheckpointsReshardAcrossEpSizes) {
  // Reference: 6 steps on 2 ranks, ep_size 2.
  const auto whole = run(2, "whole");
  EXPECT_THAT(last_output_, HasSubstr("ep_size 2"));
  const std::vector<double> losses = series(whole, "loss");
  ASSERT_EQ(losses.size(), 6u);
  EXPECT_LT(losses.back(), losses.front()) << "training should lower the loss";
  const std::vector<double> eval = series(whole, "eval/loss");
  ASSERT_EQ(eval.size(), 1u);
  const std::vector<double> histogram = series(whole, "moe/l0/e3");
  EXPECT_EQ(histogram.size(), 6u) << "tokens-per-expert histogram in the metrics";

  // Same world size: stop after 3 steps (a checkpoint), resume to 6: bitwise.
  const auto halves = run(2, "halves", {"train.steps=3"});
  std::filesystem::copy(halves, tmp_ / "to-one", std::filesystem::copy_options::recursive);
  run(2, "halves");
  EXPECT_THAT(last_output_, HasSubstr("resumed from"));
  EXPECT_EQ(series(halves, "loss"), losses);
  EXPECT_EQ(series(halves, "eval/loss").back(), eval.back());

  // ep_size 2 -> 1: the step-3 checkpoint of 2 ranks resumed on one rank.
  const auto to_one = tmp_ / "to-one";
  run(0, "to-one", {"moe.ep_size=1"});
  EXPECT_THAT(last_output_, HasSubstr("resumed from"));
  expect_close(losses, series(to_one, "loss"), 1e-4, "ep 2 -> 1");
  EXPECT_NEAR(series(to_one, "eval/loss").back(), eval.back(), 1e-4 * eval.back()) << "ep 2 -> 1 eval";

  // ep_size 1 -> 2.
  const auto from_one = run(0, "from-one", {"moe.ep_size=1", "train.steps=3"});
  run(2, "from-one");
  EXPECT_THAT(last_output_, HasSubstr("resumed from"));
  expect_close(losses, series(from_one, "loss"), 1e-4, "ep 1 -> 2");
  EXPECT_NEAR(series(from_one, "eval/loss").back(), eval.back(), 1e-4 * eval.back()) << "ep 1 -> 2 eval";

  // ep_size 4 (4 ranks) -> 2.
  const auto from_four = run(4, "from-four", {"moe.ep_size=4", "train.steps=3"});
  EXPECT_THAT(last_output_, HasSubstr("ep_size 4"));
  run(2, "from-four");
  EXPECT_THAT(last_output_, HasSubstr("resumed from"));
  expect_close(losses, series(from_four, "loss"), 1e-4, "ep 4 -> 2");
  EXPECT_NEAR(series(from_four, "eval/loss").back(), eval.back(), 1e-4 * eval.back()) << "ep 4 -> 2 eval";
}

TEST_F(MoeJobTest, EpSizeMustDivideTheWorldAndTheExperts) {
  run(0, "bad-world", {"moe.ep_size=2"}, /*expect_success=*/false);
  EXPECT_THAT(last_output_, HasSubstr("moe.ep_size = 2 (must divide the 1 ranks)"));
  run(0, "bad-experts", {"moe.ep_size=1", "moe.experts=3", "moe.top_k=4"}, /*expect_success=*/false);
  EXPECT_THAT(last_output_, HasSubstr("moe.top_k = 4 (must be <= moe.experts = 3)"));
}

}  // namespace
}  // namespace tessera
