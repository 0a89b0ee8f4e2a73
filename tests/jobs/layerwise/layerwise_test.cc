// Layerwise learning of QNNs: the schedules, Adam, the trainer (frozen
// layers, growth by zero-angle layers, LL with one all-trainable step = CDL,
// determinism), the real Fashion-MNIST pair, the sweep kernel and the
// analysis table.

#include <cmath>
#include <numeric>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "jobs/layerwise/adam.h"
#include "jobs/layerwise/image_pair.h"
#include "jobs/layerwise/layerwise_analysis.h"
#include "jobs/layerwise/layerwise_kernel.h"
#include "jobs/layerwise/layerwise_strategy.h"
#include "jobs/layerwise/qnn_model.h"
#include "jobs/layerwise/qnn_trainer.h"
#include "jobs/sweep/grid.h"
#include "runtime/error.h"

namespace tessera::jobs::layerwise {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 2x2 "images" whose label is the sign of (top-left - bottom-right): a task a
// shallow circuit can learn, small enough to train in milliseconds.
ImagePair toy_images(int train, int test, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> pixel(0, 1);
  auto make = [&](int n) {
    std::vector<Example> out;
    for (int i = 0; i < n; ++i) {
      Example e;
      for (int p = 0; p < 4; ++p) {
        e.pixels.push_back(pixel(rng));
      }
      e.label = e.pixels[0] > e.pixels[3] ? 1 : -1;
      out.push_back(std::move(e));
    }
    return out;
  };
  ImagePair data;
  data.size = 2;
  data.train = make(train);
  data.test = make(test);
  return data;
}

TrainerOptions toy_options(std::int64_t shots, double lr) {
  TrainerOptions o;
  o.shots = shots;
  o.batch_size = 8;
  o.adam.lr = lr;
  o.encoding = "angle";
  o.extra_readout = false;  // the readout is pixel qubit 3 or 0
  return o;
}

std::vector<int> layers_of(const Stage& s) {
  return s.layers;
}

TEST(LayerwiseSchedule, Phase1GrowsTwoLayersPerStepTrainingTheStartLayerAndTheNewestTwo) {
  const LayerwiseConfig ll;  // start 1, +2 per step, at most 3 trained
  const std::vector<Stage> stages = layerwise_phase1(ll, 21);
  ASSERT_EQ(stages.size(), 11u);
  EXPECT_EQ(stages[0].depth, 1);
  EXPECT_THAT(layers_of(stages[0]), ElementsAre(0));
  EXPECT_EQ(stages[1].depth, 3);
  EXPECT_THAT(layers_of(stages[1]), ElementsAre(0, 1, 2));
  EXPECT_EQ(stages[2].depth, 5);
  EXPECT_THAT(layers_of(stages[2]), ElementsAre(0, 3, 4));
  EXPECT_EQ(stages[10].depth, 21);
  EXPECT_THAT(layers_of(stages[10]), ElementsAre(0, 19, 20));
  for (const Stage& s : stages) {
    EXPECT_EQ(s.epochs, ll.epochs_per_step);
    EXPECT_EQ(s.phase, 1);
  }
  // An odd remainder: 1 + 2 + 1 layers.
  const std::vector<Stage> short_run = layerwise_phase1(ll, 4);
  ASSERT_EQ(short_run.size(), 3u);
  EXPECT_EQ(short_run[2].depth, 4);
  EXPECT_THAT(layers_of(short_run[2]), ElementsAre(0, 2, 3));
}

TEST(LayerwiseSchedule, Phase2PartitionsAreContiguousAndCoverTheCircuit) {
  LayerwiseConfig ll;
  const auto halves = layerwise_partitions(ll, 21);
  ASSERT_EQ(halves.size(), 2u);
  EXPECT_EQ(halves[0].front(), 0);
  EXPECT_EQ(halves[0].back(), 10);
  EXPECT_EQ(halves[1].front(), 11);
  EXPECT_EQ(halves[1].back(), 20);
  ll.partition_fraction = 0.25;
  const auto quarters = layerwise_partitions(ll, 8);
  ASSERT_EQ(quarters.size(), 4u);
  EXPECT_THAT(quarters[3], ElementsAre(6, 7));
}

TEST(LayerwiseSchedule, NewLayersThatCouldNeverTrainAreAConfigError) {
  LayerwiseConfig ll;
  ll.start_layers = 2;
  ll.max_trained_layers = 2;
  EXPECT_THROW(layerwise_phase1(ll, 5), ConfigError);
  EXPECT_NO_THROW(layerwise_phase1(ll, 2));  // nothing to add
}

TEST(LayerwiseSchedule, ExecutionBudgetCountsOnePredictionAndTwoShiftsPerTrainedParameter) {
  const std::vector<Stage> stages = {{1, {0}, 10, 1}, {3, {0, 1, 2}, 10, 1}};
  // 9 qubits: 10 epochs x (1 + 2*9) + 10 epochs x (1 + 2*27).
  EXPECT_EQ(executions_per_example(stages, 9), 10 * 19 + 10 * 55);
}

TEST(Adam, FollowsTheBiasCorrectedUpdateAndLeavesMaskedParametersAlone) {
  Adam adam(3, {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .epsilon = 1e-8});
  std::vector<double> theta = {1.0, 2.0, 3.0};
  const std::vector<double> g1 = {0.5, -2.0, 7.0};
  const std::vector<char> mask = {1, 1, 0};
  adam.step(theta, g1, mask);
  // After one step the bias-corrected ratio is g / |g|: a step of lr against the sign.
  EXPECT_NEAR(theta[0], 1.0 - 0.1, 1e-7);
  EXPECT_NEAR(theta[1], 2.0 + 0.1, 1e-7);
  EXPECT_EQ(theta[2], 3.0);
  EXPECT_EQ(adam.first_moment()[2], 0.0);
  const double after_one = theta[0];
  const std::vector<double> g2 = {0.25, -2.0, 7.0};
  adam.step(theta, g2, mask);
  const double m = 0.9 * 0.05 + 0.1 * 0.25, v = 0.999 * 0.00025 + 0.001 * 0.0625;
  const double expected =
      after_one - 0.1 * (m / (1 - 0.81)) / (std::sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
  EXPECT_NEAR(theta[0], expected, 1e-12);
  EXPECT_EQ(adam.steps(), 2);
}

TEST(QnnModel, LayersDrawTheirAxesFromTheSeedAndEndInACzLadder) {
  const QnnModel a(4, 5, 3, 7), b(4, 5, 3, 7), c(4, 5, 3, 8);
  int same = 0;
  for (int l = 0; l < 5; ++l) {
    for (int q = 0; q < 4; ++q) {
      EXPECT_EQ(a.axis(l, q), b.axis(l, q));
      same += a.axis(l, q) == c.axis(l, q) ? 1 : 0;
    }
  }
  EXPECT_LT(same, 20) << "another seed draws another circuit";
  const quantum::ParametrizedCircuit circuit = a.circuit(2);
  EXPECT_EQ(circuit.num_parameters(), 8);
  ASSERT_EQ(circuit.ops().size(), 2u * (4 + 3));
  EXPECT_EQ(circuit.ops()[4].gate.qubits, (std::vector<int>{0, 1}));
  EXPECT_EQ(circuit.ops()[6].gate.qubits, (std::vector<int>{2, 3}));
}

TEST(QnnModel, EncodingsPutPixelsIntoQubits) {
  const quantum::ProductState binary = encode({0.2, 0.8}, "binary", 0.5);
  EXPECT_EQ(binary[0][0], quantum::Complex(1));
  EXPECT_EQ(binary[1][1], quantum::Complex(1));
  const quantum::ProductState angle = encode({0.0, 0.5, 1.0}, "angle", 0.5);
  EXPECT_NEAR(std::norm(angle[1][1]), 0.5, 1e-15);  // Ry(pi/2)|0>
  EXPECT_NEAR(std::norm(angle[2][1]), 1.0, 1e-15);  // Ry(pi)|0> = |1>
}

TEST(QnnTrainer, AnExtraReadoutQubitPredictsNothingBeforeTraining) {
  // With the readout on a pixel's qubit, the untrained circuit (angles 0:
  // identities and diagonal CZs) already reads that pixel; an extra qubit in
  // |+> starts at <Z> = 0 for every image.
  const ImagePair data = toy_images(4, 6, 17);
  TrainerOptions pixel = toy_options(0, 0.1);
  pixel.encoding = "binary";
  const QnnModel on_pixel(4, 2, 3, 18);
  const QnnTrainer a(data, on_pixel, pixel, 19);
  for (double z : a.test_expectations(2)) {
    EXPECT_NEAR(std::abs(z), 1.0, 1e-6);
  }
  TrainerOptions extra = pixel;
  extra.extra_readout = true;
  const QnnModel with_extra(5, 2, 4, 18);
  const QnnTrainer b(data, with_extra, extra, 19);
  for (double z : b.test_expectations(2)) {
    EXPECT_NEAR(z, 0.0, 1e-6);
  }
  EXPECT_THROW(QnnTrainer(data, on_pixel, extra, 19), InternalError) << "5 qubits needed";
}

TEST(QnnTrainer, FrozenLayersDoNotChange) {
  const ImagePair data = toy_images(16, 8, 1);
  const QnnModel model(4, 3, 3, 2);
  QnnTrainer trainer(data, model, toy_options(10, 0.1), 3);
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> angle(-1, 1);
  for (double& t : trainer.parameters()) {
    t = angle(rng);
  }
  const std::vector<double> before = trainer.parameters();
  trainer.start(3);
  trainer.train(3, std::vector<int>{1}, 3, 1);
  const std::vector<double>& after = trainer.parameters();
  int moved = 0;
  for (std::size_t k = 0; k < before.size(); ++k) {
    if (k / 4 == 1) {
      moved += after[k] != before[k] ? 1 : 0;
    } else {
      EXPECT_EQ(after[k], before[k]) << "parameter " << k << " of a frozen layer";
    }
  }
  EXPECT_EQ(moved, 4) << "every parameter of the trained layer moves";
  EXPECT_EQ(trainer.curve().back().trained, 4);
  // 3 epochs x 16 examples x (1 + 2 x 4 trained parameters).
  EXPECT_EQ(trainer.executions(), 3 * 16 * 9);
}

TEST(QnnTrainer, NewZeroAngleLayersLeaveThePredictionsUnchanged) {
  // Appended layers are identities followed by a diagonal CZ ladder, which
  // commutes with the Z measurement: growing the circuit keeps its outputs.
  const ImagePair data = toy_images(4, 6, 5);
  const QnnModel model(4, 5, 0, 6);
  QnnTrainer trainer(data, model, toy_options(0, 0.1), 7);
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> angle(-2, 2);
  for (std::size_t k = 0; k < 2 * 4; ++k) {
    trainer.parameters()[k] = angle(rng);
  }
  const std::vector<double> shallow = trainer.test_expectations(2);
  const std::vector<double> grown = trainer.test_expectations(5);
  ASSERT_EQ(shallow.size(), grown.size());
  double spread = 0;
  for (std::size_t i = 0; i < shallow.size(); ++i) {
    EXPECT_NEAR(grown[i], shallow[i], 1e-6);
    spread += std::abs(shallow[i]);
  }
  EXPECT_GT(spread, 0.1) << "the outputs should not be trivially zero";
}

TEST(QnnTrainer, LayerwiseWithOneAllTrainableStepEqualsCompleteDepth) {
  const ImagePair data = toy_images(16, 8, 9);
  const QnnModel model(4, 3, 3, 10);
  LayerwiseConfig ll;
  ll.start_layers = 3;
  ll.max_trained_layers = 3;
  ll.epochs_per_step = 4;
  ll.max_sweeps = 0;
  CompleteDepthConfig cdl;
  cdl.epochs = 4;
  QnnTrainer layerwise(data, model, toy_options(10, 0.05), 11);
  layerwise.start(3);
  run_layerwise(layerwise, ll, 3);
  QnnTrainer complete(data, model, toy_options(10, 0.05), 11);
  complete.start(3);
  run_complete_depth(complete, cdl, 3);
  EXPECT_EQ(layerwise.parameters(), complete.parameters());
  ASSERT_EQ(layerwise.curve().size(), complete.curve().size());
  for (std::size_t i = 0; i < complete.curve().size(); ++i) {
    EXPECT_EQ(layerwise.curve()[i].train_loss, complete.curve()[i].train_loss) << i;
    EXPECT_EQ(layerwise.curve()[i].test_error, complete.curve()[i].test_error) << i;
    EXPECT_EQ(layerwise.curve()[i].executions, complete.curve()[i].executions) << i;
  }
  EXPECT_NE(complete.parameters(), std::vector<double>(12, 0.0));
}

TEST(QnnTrainer, ExactTrainingLearnsTheToyTaskAndTheSameSeedRepeatsARun) {
  const ImagePair data = toy_images(32, 64, 12);
  const QnnModel model(4, 2, 0, 13);
  auto run = [&](std::int64_t shots, std::uint64_t seed) {
    QnnTrainer t(data, model, toy_options(shots, 0.1), seed);
    t.start(2);
    t.train(2, std::vector<int>{0, 1}, 15, 0);
    return t;
  };
  const QnnTrainer exact = run(0, 14);
  EXPECT_LT(exact.curve().back().train_loss, exact.curve().front().train_loss);
  EXPECT_LT(exact.curve().back().test_error, 0.3);
  const QnnTrainer a = run(10, 15), b = run(10, 15), c = run(10, 16);
  EXPECT_EQ(a.parameters(), b.parameters());
  EXPECT_NE(a.parameters(), c.parameters()) << "shot noise depends on the seed";
}

TEST(ImagePair, TwoFashionMnistClassesBalancedAndDownsampled) {
  DataConfig config;  // classes 1 (trouser) vs 9 (ankle boot), 3x3
  config.train_examples = 20;
  config.test_examples = 10;
  const ImagePair data = load_image_pair(config);
  ASSERT_EQ(data.train.size(), 20u);
  ASSERT_EQ(data.test.size(), 10u);
  for (std::size_t i = 0; i < data.train.size(); ++i) {
    EXPECT_EQ(data.train[i].label, i % 2 == 0 ? 1 : -1);
    ASSERT_EQ(data.train[i].pixels.size(), 9u);
    for (double p : data.train[i].pixels) {
      EXPECT_GE(p, 0.0);
      EXPECT_LE(p, 1.0);
    }
  }
  // Another seed draws other images.
  config.seed = 1;
  EXPECT_NE(load_image_pair(config).train[3].pixels, data.train[3].pixels);
  config.source = "/nonexistent";
  EXPECT_THROW(load_image_pair(config), IoError);
}

TEST(ImagePair, DownsamplingAveragesAreas) {
  std::vector<unsigned char> image(28 * 28, 0);
  for (int r = 0; r < 14; ++r) {
    for (int c = 0; c < 28; ++c) {
      image[static_cast<std::size_t>(r * 28 + c)] = 255;  // top half white
    }
  }
  const std::vector<double> two = downsample(image, 28, 28, 2);
  const auto near = [](double v) { return ::testing::DoubleNear(v, 1e-12); };
  EXPECT_THAT(two, ElementsAre(near(1.0), near(1.0), near(0.0), near(0.0)));
  const std::vector<double> three = downsample(image, 28, 28, 3);
  EXPECT_NEAR(three[0], 1.0, 1e-12);
  EXPECT_NEAR(three[3], (14 - 28.0 / 3) / (28.0 / 3), 1e-12);  // the middle row straddles the edge
  EXPECT_NEAR(three[6], 0.0, 1e-12);
}

TEST(LayerwiseKernel, DescribeCarriesTheScheduleIntoTheTaskIdentity) {
  LayerwiseSetup setup;
  const LayerwiseKernel kernel(setup);
  const auto ll = kernel.describe({{"strategy", "ll"}, {"lr", 0.05}, {"seed", 3}});
  EXPECT_EQ(ll.params["shots"], 10);
  EXPECT_EQ(ll.params["setup"]["schedule"]["layers_per_step"], 2);
  const RunPoint p = LayerwiseKernel::point(ll.params);
  EXPECT_EQ(p.strategy, "ll");
  EXPECT_EQ(p.lr, 0.05);
  EXPECT_EQ(p.seed, 3u);
  setup.ll.epochs_per_step = 5;
  const auto changed =
      LayerwiseKernel(setup).describe({{"strategy", "ll"}, {"lr", 0.05}, {"seed", 3}});
  EXPECT_NE(
      sweep::strong_id("layerwise", changed.params), sweep::strong_id("layerwise", ll.params));
  // CDL tasks do not depend on LL's schedule.
  EXPECT_EQ(
      LayerwiseKernel(setup).describe({{"strategy", "cdl"}}).params,
      kernel.describe({{"strategy", "cdl"}}).params);
  // A random CDL start is another task; the default keeps the zero-init id.
  setup.cdl.init = "random";
  EXPECT_EQ(
      LayerwiseKernel(setup).describe({{"strategy", "cdl"}}).params["setup"]["schedule"]["init"],
      "random");
  EXPECT_FALSE(kernel.describe({{"strategy", "cdl"}}).params["setup"]["schedule"].contains("init"));
}

TEST(LayerwiseKernel, DescribeRejectsBadPoints) {
  const LayerwiseKernel kernel(LayerwiseSetup{});
  auto message = [&](nlohmann::json point) -> std::string {
    try {
      kernel.describe(point);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_THAT(message({{"strategy", "greedy"}}), HasSubstr("strategy = greedy"));
  EXPECT_THAT(message({{"lr", -0.1}}), HasSubstr("lr = -0.1"));
  EXPECT_THAT(message({{"seed", 1.5}}), HasSubstr("seed = 1.5"));
  EXPECT_THAT(message({{"layers", 3}}), HasSubstr("unknown grid key 'layers'"));
}

TEST(LayerwiseAnalysis, CountsSuccessesAndEstimatesHardwareTime) {
  auto run = [](const char* strategy, double final_error, double executions) {
    RunResult r;
    r.strategy = strategy;
    r.lr = 0.1;
    r.shots = 10;
    r.test_error = {0.5, final_error};
    r.test_error_exact = {0.5, final_error};
    r.executions = {0, executions};
    r.finished = true;
    return r;
  };
  const std::vector<RunResult> runs = {
      run("ll", 0.2, 1000),
      run("ll", 0.3, 1000),
      run("ll", 0.6, 1000),
      run("cdl", 0.4, 3000),
      run("cdl", 0.5, 3000),
      run("cdl", 0.7, 3000)};
  const std::vector<ConfigSummary> s = summarize(runs, 0.5, 10000);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].strategy, "ll");
  EXPECT_EQ(s[0].successes, 2);
  EXPECT_NEAR(s[0].mean_error_successes, 0.25, 1e-12);
  EXPECT_NEAR(s[0].mean_wall_clock_s, 1000 * 10 / 10000.0, 1e-12);
  EXPECT_EQ(s[1].strategy, "cdl");
  EXPECT_EQ(s[1].successes, 1) << "0.5 is not below the threshold";
  EXPECT_NEAR(s[1].mean_error_all, (0.4 + 0.5 + 0.7) / 3, 1e-12);
  const std::string table = summary_table(s, 0.5, 10000);
  EXPECT_THAT(table, HasSubstr("successes LL 2/3 vs CDL 1/3 (+1)"));
}

}  // namespace
}  // namespace tessera::jobs::layerwise
