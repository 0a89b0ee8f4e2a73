#include "tests/testing/run_results.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/metrics_writer.h"
#include "tests/testing/temp_dir.h"

namespace tessera::testing {

std::vector<double> metric_values(const std::filesystem::path& run_dir, const std::string& name) {
  return runtime::read_metric(run_dir / "metrics.h5", name).values;
}

Arrays latest_checkpoint_arrays(const std::filesystem::path& run_dir, const std::string& prefix) {
  const std::filesystem::path checkpoints = run_dir / "checkpoints";
  std::string latest = read_text(checkpoints / "LATEST");
  latest.erase(latest.find_last_not_of(" \n") + 1);
  runtime::Checkpoint checkpoint(checkpoints / latest, 0, 1);
  Arrays out;
  for (const std::string& name : checkpoint.names()) {
    if (name.starts_with(prefix)) {
      out[name] = checkpoint.read_vector<float>(name);
    }
  }
  return out;
}

double max_difference(const Arrays& a, const Arrays& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (const auto& [name, values] : a) {
    const auto other = b.find(name);
    if (other == b.end()) {
      ADD_FAILURE() << name << " is missing from the second set";
      continue;
    }
    EXPECT_EQ(values.size(), other->second.size()) << name;
    for (std::size_t i = 0; i < values.size() && i < other->second.size(); ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(values[i] - other->second[i])));
    }
  }
  return worst;
}

void expect_same_series(const std::vector<double>& expected, const std::vector<double>& actual,
                        double relative, const std::string& what) {
  ASSERT_EQ(expected.size(), actual.size()) << what;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], relative * std::abs(expected[i])) << what << ", step " << i + 1;
  }
}

}  // namespace tessera::testing
