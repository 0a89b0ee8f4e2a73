#include "optim/lr_schedule.h"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

namespace tessera::optim {
namespace {

ScheduleConfig schedule(std::string kind, std::int64_t warmup, std::int64_t total,
                        double final_fraction = 0, std::string unit = "step") {
  return ScheduleConfig{std::move(kind), std::move(unit), warmup, total, final_fraction};
}

TEST(LrSchedule, ConstantIsTheBaseRateAfterWarmup) {
  LrSchedule s(schedule("constant", 4, 0), 0.2, 100, 10);
  EXPECT_DOUBLE_EQ(s.lr(0), 0.0);
  EXPECT_DOUBLE_EQ(s.lr(2), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(4), 0.2);
  EXPECT_DOUBLE_EQ(s.lr(99), 0.2);
}

TEST(LrSchedule, LinearWarmsUpThenDecaysToTheFinalFraction) {
  LrSchedule s(schedule("linear", 10, 110), 1.0, 1000, 10);
  EXPECT_DOUBLE_EQ(s.lr(5), 0.5);
  EXPECT_DOUBLE_EQ(s.lr(10), 1.0);
  EXPECT_DOUBLE_EQ(s.lr(60), 0.5);
  EXPECT_DOUBLE_EQ(s.lr(110), 0.0);
  EXPECT_DOUBLE_EQ(s.lr(500), 0.0);  // past the end it stays at the floor
  LrSchedule floor(schedule("linear", 0, 100, 0.1), 1.0, 100, 10);
  EXPECT_DOUBLE_EQ(floor.lr(50), 0.55);
  EXPECT_DOUBLE_EQ(floor.lr(100), 0.1);
}

TEST(LrSchedule, CosineFollowsHalfACosine) {
  LrSchedule s(schedule("cosine", 0, 0), 2.0, 200, 10);  // total 0: the run's 200 steps
  EXPECT_DOUBLE_EQ(s.lr(0), 2.0);
  EXPECT_NEAR(s.lr(50), 2.0 * 0.5 * (1 + std::cos(std::numbers::pi / 4)), 1e-12);
  EXPECT_NEAR(s.lr(100), 1.0, 1e-12);
  EXPECT_NEAR(s.lr(200), 0.0, 1e-12);
}

TEST(LrSchedule, EpochUnitsHoldTheRateWithinAnEpoch) {
  // LocoProp's outer schedule: 5 warm-up epochs (epoch 0 at lr 0), 60 steps an epoch.
  LrSchedule s(schedule("linear", 5, 100, 0, "epoch"), 1e-4, 6000, 60);
  EXPECT_DOUBLE_EQ(s.lr(0), 0.0);
  EXPECT_DOUBLE_EQ(s.lr(59), 0.0);
  EXPECT_DOUBLE_EQ(s.lr(60), 0.2e-4);
  EXPECT_DOUBLE_EQ(s.lr(2 * 60 + 30), 0.4e-4);
  EXPECT_DOUBLE_EQ(s.lr(5 * 60), 1e-4);
  EXPECT_NEAR(s.lr(99 * 60), 1e-4 / 95, 1e-18);
}

}  // namespace
}  // namespace tessera::optim
