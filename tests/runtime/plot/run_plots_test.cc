#include "runtime/plot/run_plots.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/testing/temp_dir.h"

namespace tessera::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

void write_run(const std::filesystem::path& dir, double scale, bool with_eval) {
  std::filesystem::create_directories(dir);
  MetricsWriter metrics(dir / "metrics.h5", config::Seconds(0));
  for (int step = 1; step <= 20; ++step) {
    metrics.append(step, "loss", scale / step);
    if (with_eval && step % 10 == 0) {
      metrics.append(step, "test/accuracy", 0.5 + 0.01 * step);
    }
  }
  metrics.flush();
}

TEST(RunPlots, DrawsEveryMetricOfSeveralRunsOverlaid) {
  testing::TempDir dir;
  write_run(dir / "bp", 2.0, true);
  write_run(dir / "locoprop", 1.0, false);
  auto files = plot_runs({dir / "bp", dir / "locoprop"}, {.out_dir = dir / "plots"});
  ASSERT_THAT(files, ElementsAre(dir / "plots" / "loss.png", dir / "plots" / "test-accuracy.png"));
  for (const auto& file : files) {
    EXPECT_EQ(testing::read_text(file).substr(1, 3), "PNG") << file;
  }
}

TEST(RunPlots, ChosenMetricsAsSvg) {
  testing::TempDir dir;
  write_run(dir / "run", 1.0, true);
  auto files = plot_runs({dir / "run"}, {.out_dir = dir / "out", .metrics = {"loss"}, .format = "svg",
                                         .log_y = true, .x = "time"});
  ASSERT_THAT(files, ElementsAre(dir / "out" / "loss.svg"));
  EXPECT_THAT(testing::read_text(files[0]), HasSubstr("<svg"));
}

TEST(RunPlots, UnknownMetricAndMissingRunAreClearErrors) {
  testing::TempDir dir;
  write_run(dir / "run", 1.0, false);
  try {
    plot_runs({dir / "run"}, {.out_dir = dir / "out", .metrics = {"accuracy"}});
    FAIL();
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no run has a metric 'accuracy' (they have: loss)"));
  }
  try {
    plot_runs({dir / "nothing"}, {.out_dir = dir / "out"});
    FAIL();
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no metrics.h5"));
  }
}

}  // namespace
}  // namespace tessera::runtime
