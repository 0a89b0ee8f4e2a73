#include "runtime/metrics_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/testing/temp_dir.h"

namespace tessera::runtime {
namespace {

TEST(MetricsWriter, AppendsSeriesAcrossFlushesAndReopens) {
  testing::TempDir dir;
  const auto file = dir / "metrics.h5";
  {
    MetricsWriter writer(file, config::Seconds(3600));
    writer.append(1, "loss", 0.9);
    writer.append(1, "eval/accuracy", 0.1);
    writer.append(2, "loss", 0.8);
    writer.flush();
    writer.append(3, "loss", 0.7);
  }  // destructor flushes
  {
    MetricsWriter writer(file, config::Seconds(3600));  // a resumed run appends
    writer.append(4, "loss", 0.6);
    writer.set_metadata("job", "test");
  }
  MetricSeries loss = read_metric(file, "loss");
  EXPECT_EQ(loss.steps, (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(loss.values, (std::vector<double>{0.9, 0.8, 0.7, 0.6}));
  EXPECT_EQ(loss.times.size(), 4U);
  EXPECT_GT(loss.times[0], 1.6e9);  // seconds since the epoch
  EXPECT_EQ(list_metrics(file), (std::vector<std::string>{"eval/accuracy", "loss"}));
}

TEST(MetricsWriter, TruncateAfterDropsRowsPastTheCheckpoint) {
  testing::TempDir dir;
  const auto file = dir / "metrics.h5";
  MetricsWriter writer(file, config::Seconds(3600));
  for (int step = 1; step <= 10; ++step) {
    writer.append(step, "loss", 1.0 / step);
    if (step % 2 == 0) {
      writer.append(step, "eval", step);
    }
  }
  writer.truncate_after(5);
  writer.append(6, "loss", 0.5);
  writer.flush();
  EXPECT_EQ(read_metric(file, "loss").steps, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(read_metric(file, "eval").steps, (std::vector<std::int64_t>{2, 4}));
}

TEST(MetricsWriter, DisabledWriterWritesNothing) {
  testing::TempDir dir;
  MetricsWriter writer;
  writer.append(1, "loss", 1.0);
  writer.flush();
  EXPECT_FALSE(writer.enabled());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(MetricsWriter, DamagedFileIsSetAsideNotLost) {
  testing::TempDir dir;
  const auto file = dir / "metrics.h5";
  testing::write_text(file, "not an HDF5 file");
  {
    MetricsWriter writer(file, config::Seconds(3600));
    writer.append(1, "loss", 1.0);
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "metrics.h5.damaged"));
  EXPECT_EQ(read_metric(file, "loss").steps.size(), 1U);
}

TEST(MetricsWriter, MissingSeriesIsAnIoError) {
  testing::TempDir dir;
  {
    MetricsWriter writer(dir / "m.h5", config::Seconds(1));
    writer.append(1, "loss", 1.0);
  }
  EXPECT_THROW(read_metric(dir / "m.h5", "accuracy"), IoError);
}

}  // namespace
}  // namespace tessera::runtime
