#include "runtime/progress.h"

#include <gtest/gtest.h>

namespace tessera::runtime {
namespace {

TEST(Progress, LineShowsFractionRateAndEta) {
  Progress progress("step", 1000, config::Seconds(10), true);
  EXPECT_EQ(progress.line(250, 10.0, "loss 0.5"), "step 250/1000 (25.0%) | 25/s | ETA 30s | loss 0.5");
}

TEST(Progress, UnknownTotalHasNoEta) {
  Progress progress("shots", 0, config::Seconds(10), true);
  EXPECT_EQ(progress.line(500, 2.0, ""), "shots 500 | 250/s");
}

TEST(Progress, EtaFormatting) {
  EXPECT_EQ(format_eta(42), "42s");
  EXPECT_EQ(format_eta(185), "3m05s");
  EXPECT_EQ(format_eta(3720), "1h02m");
}

}  // namespace
}  // namespace tessera::runtime
