#pragma once

// Reading what a finished run left behind, for tests that compare runs:
// metric series from metrics.h5 and arrays of the newest checkpoint.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tessera::testing {

using Arrays = std::map<std::string, std::vector<float>>;

// The values of metric `name` (e.g. "loss") of the run in `run_dir`.
std::vector<double> metric_values(const std::filesystem::path& run_dir, const std::string& name);

// Every float array whose name starts with `prefix` ("model/", "optimizer/")
// in the checkpoint that `run_dir`'s checkpoints/LATEST names, read as rank 0 of 1.
Arrays latest_checkpoint_arrays(const std::filesystem::path& run_dir, const std::string& prefix);

// The largest absolute difference between same-named arrays; a gtest
// failure if the names or sizes differ.
double max_difference(const Arrays& a, const Arrays& b);

// A gtest failure for each value of `actual` not within `relative` of
// `expected`'s (and if the lengths differ); `what` names the comparison.
void expect_same_series(const std::vector<double>& expected, const std::vector<double>& actual,
                        double relative, const std::string& what);

}  // namespace tessera::testing
