#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "jobs/qec/qec_analysis.h"
#include "jobs/qec/qec_kernel.h"
#include "jobs/sweep/grid.h"
#include "runtime/error.h"

namespace tessera::jobs::qec {
namespace {

using ::testing::HasSubstr;

TEST(QecKernel, DescribeFillsDefaultsAndSpellsOutTheNoise) {
  QecKernel kernel;
  const sweep::TaskDescription t = kernel.describe({{"distance", 5}, {"rounds", 10}, {"p", 0.001}});
  EXPECT_EQ(t.params["basis"], "z");
  EXPECT_EQ(t.params["decoder"], "mwpm");
  EXPECT_EQ(t.params["p"], 0.001);
  EXPECT_EQ(t.params["before_round_data_depolarization"], 0.001);
  EXPECT_EQ(t.decoder, "mwpm");
  // The same point written with the four knobs is the same task.
  const sweep::TaskDescription same = kernel.describe({{"distance", 5},
                                                       {"rounds", 10},
                                                       {"after_clifford_depolarization", 0.001},
                                                       {"before_measure_flip_probability", 0.001},
                                                       {"after_reset_flip_probability", 0.001},
                                                       {"before_round_data_depolarization", 0.001}});
  EXPECT_EQ(sweep::strong_id("qec", same.params), sweep::strong_id("qec", t.params));
  // A knob overriding p: no common p any more.
  const sweep::TaskDescription mixed =
      kernel.describe({{"distance", 3}, {"rounds", 2}, {"p", 0.01}, {"before_measure_flip_probability", 0.02}});
  EXPECT_FALSE(mixed.params.contains("p"));
  EXPECT_EQ(qec_point(mixed.params).code.noise.before_measure_flip_probability, 0.02);
  EXPECT_EQ(qec_point(mixed.params).code.noise.after_reset_flip_probability, 0.01);
}

TEST(QecKernel, DescribeRejectsBadPoints) {
  QecKernel kernel;
  auto message = [&](nlohmann::json point) -> std::string {
    try {
      kernel.describe(point);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_THAT(message({{"distance", 3}}), HasSubstr("'rounds' is required"));
  EXPECT_THAT(message({{"distance", 1}, {"rounds", 3}}), HasSubstr("distance = 1"));
  EXPECT_THAT(message({{"distance", 3.5}, {"rounds", 3}}), HasSubstr("must be an integer"));
  EXPECT_THAT(message({{"distance", 3}, {"rounds", 3}, {"p", 0.7}}), HasSubstr("p = 0.7"));
  EXPECT_THAT(message({{"distance", 3}, {"rounds", 3}, {"basis", "y"}}), HasSubstr("basis = y"));
  EXPECT_THAT(message({{"distance", 3}, {"rounds", 3}, {"decoder", "bp"}}), HasSubstr("decoder = bp"));
  EXPECT_THAT(message({{"distance", 3}, {"rounds", 3}, {"dist", 3}}), HasSubstr("unknown parameter 'dist'"));
}

TEST(QecAnalysis, WilsonIntervalsAndPerRoundErrors) {
  const Interval none = wilson_interval(0, 100);
  EXPECT_EQ(none.low, 0);
  EXPECT_NEAR(none.high, 0.0370, 1e-4);
  const Interval half = wilson_interval(50, 100);
  EXPECT_NEAR(half.low, 0.4038, 1e-4);
  EXPECT_NEAR(half.high, 0.5962, 1e-4);
  for (double eps : {1e-9, 1e-4, 0.01}) {
    const std::int64_t r = 30;
    const double p_l = (1 - std::pow(1 - 2 * eps, r)) / 2;
    EXPECT_NEAR(per_round_error(p_l, r) / eps, 1.0, 1e-6);
  }
  EXPECT_EQ(per_round_error(0.6, 10), 0.5);
}

TEST(QecAnalysis, LambdaFitRecoversTheSuppressionFactor) {
  // eps(d) = 0.02 / 5^((d - 1) / 2): Lambda = 5; shots chosen so errors are exact.
  std::vector<sweep::TaskRecord> records;
  for (int d : {3, 5, 7, 9}) {
    const double eps = 0.02 / std::pow(5.0, (d - 1) / 2.0);
    const std::int64_t r = 10;
    const double p_l = (1 - std::pow(1 - 2 * eps, r)) / 2;
    sweep::TaskRecord rec;
    rec.params = {{"distance", d}, {"rounds", r}, {"basis", "z"}, {"decoder", "mwpm"}, {"p", 0.01}};
    rec.total.counts.errors = 4000;
    rec.total.counts.shots = static_cast<std::int64_t>(std::llround(4000 / p_l));
    records.push_back(rec);
  }
  const std::vector<LambdaFit> fits = fit_lambdas(analyse_points(records));
  ASSERT_EQ(fits.size(), 1u);
  EXPECT_EQ(fits[0].fitted_points, 4);
  EXPECT_NEAR(fits[0].lambda, 5.0, 0.01);
  EXPECT_GT(fits[0].lambda_sigma, 0);
  EXPECT_LT(fits[0].lambda_sigma, 0.3);
  EXPECT_THAT(analysis_table(fits), HasSubstr("Lambda 5"));
}

// The physics check of the issue: at p = 0.001 the per-round logical error
// falls by more than a factor 2 per step in distance (d = 3, 5, 7), with 95 %
// confidence: eps(d).low > 2 eps(d + 2).high.
TEST(QecPhysics, PerRoundErrorFallsByMoreThanTwoPerDistanceStepAtPOneInAThousand) {
  QecKernel kernel;
  struct Run {
    int distance;
    std::int64_t shots;
  };
  std::vector<Interval> eps;
  for (const Run& run : {Run{3, 1 << 20}, Run{5, 20 << 20}, Run{7, 6 << 20}}) {
    sweep::Task task;
    task.description = kernel.describe({{"distance", run.distance}, {"rounds", 10}, {"p", 0.001}});
    task.id = sweep::strong_id("qec", task.description.params);
    const sweep::ChunkResult r = kernel.run_chunk(task, {0, run.shots, 1000 + static_cast<std::uint64_t>(run.distance)});
    ASSERT_EQ(r.counts.shots, run.shots);
    const Interval p_l = wilson_interval(r.counts.errors, r.counts.shots);
    eps.push_back({per_round_error(p_l.value, 10), per_round_error(p_l.low, 10), per_round_error(p_l.high, 10)});
    std::printf("d=%d: %lld errors in %lld shots\n", run.distance, static_cast<long long>(r.counts.errors),
                static_cast<long long>(r.counts.shots));
  }
  EXPECT_GT(eps[0].low, 2 * eps[1].high) << "d=3 " << eps[0].value << " vs d=5 " << eps[1].value;
  EXPECT_GT(eps[1].low, 2 * eps[2].high) << "d=5 " << eps[1].value << " vs d=7 " << eps[2].value;
}

}  // namespace
}  // namespace tessera::jobs::qec
