// The photons job as a user runs it: the CI config through `tessera run`,
// alone and under mpirun, resumed with a grown grid, and with a state spread
// over the ranks.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "jobs/sweep/results_file.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera::jobs::photons {
namespace {

using ::testing::HasSubstr;
using tessera::testing::run_command;

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// Task id -> arrays of a finished run.
std::map<std::string, std::map<std::string, sweep::NumericArray>> arrays_of(const std::filesystem::path& run) {
  std::map<std::string, std::map<std::string, sweep::NumericArray>> out;
  for (const sweep::TaskRecord& r : sweep::read_results(run / "results.h5")) {
    EXPECT_TRUE(r.finished) << r.params.dump();
    out[r.id] = r.total.arrays;
  }
  return out;
}

void expect_close(const std::map<std::string, std::map<std::string, sweep::NumericArray>>& a,
                  const std::map<std::string, std::map<std::string, sweep::NumericArray>>& b, double tolerance) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [id, arrays] : a) {
    ASSERT_TRUE(b.count(id)) << id;
    for (const auto& [name, array] : arrays) {
      const sweep::NumericArray& other = b.at(id).at(name);
      ASSERT_EQ(array.shape, other.shape) << name;
      for (std::size_t i = 0; i < array.values.size(); ++i) {
        ASSERT_NEAR(array.values[i], other.values[i], tolerance) << id << " " << name << "[" << i << "]";
      }
    }
  }
}

TEST(PhotonsJob, TheCiConfigWritesResultsSummaryAndFigures) {
  tessera::testing::TempDir dir;
  const auto r = run_command({TESSERA_BIN, "run", "configs/photons_ci.yaml", "output.dir=" + (dir / "run").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("photons: 20 of 20 tasks done"));
  const auto arrays = arrays_of(dir / "run");
  ASSERT_EQ(arrays.size(), 20u);
  for (const auto& [id, a] : arrays) {
    EXPECT_EQ(a.at("occupation").shape, (std::vector<std::uint64_t>{13, a.at("occupation").shape[1]}));
    EXPECT_EQ(a.at("bound").shape, (std::vector<std::uint64_t>{13}));
    // Photon number is conserved in every cycle.
    const std::uint64_t sites = a.at("occupation").shape[1];
    const double photons = [&] {
      double n = 0;
      for (std::uint64_t j = 0; j < sites; ++j) {
        n += a.at("occupation").values[j];
      }
      return n;
    }();
    for (std::uint64_t c = 0; c < 13; ++c) {
      double n = 0;
      for (std::uint64_t j = 0; j < sites; ++j) {
        n += a.at("occupation").values[c * sites + j];
      }
      EXPECT_NEAR(n, photons, 1e-5);
    }
  }
  for (const char* file : {"summary.txt", "results.csv", "occupation_ring12_n2.png", "occupation_deco12_n3.png",
                           "bound_vs_phi_ring12.png", "bound_vs_phi_deco12.png"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / file)) << file;
  }
}

TEST(PhotonsJob, TwoRanksGiveTheSameResultsAsOne) {
  tessera::testing::TempDir dir;
  const auto one = run_command({TESSERA_BIN, "run", "configs/photons_ci.yaml", "output.dir=" + (dir / "one").string(),
                                "plots.enabled=false"});
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const auto two = run_command(with(tessera::testing::mpirun(2),
                                    {TESSERA_BIN, "run", "configs/photons_ci.yaml",
                                     "output.dir=" + (dir / "two").string(), "plots.enabled=false"}));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_THAT(two.output, HasSubstr("sweep: 20 tasks over 2 ranks"));
  expect_close(arrays_of(dir / "one"), arrays_of(dir / "two"), 0.0);
}

TEST(PhotonsJob, ARerunWithAGrownGridRunsOnlyTheNewTasks) {
  tessera::testing::TempDir dir;
  const std::string out = "output.dir=" + (dir / "run").string();
  const auto first = run_command({TESSERA_BIN, "run", "configs/photons_ci.yaml", out, "plots.enabled=false",
                                  "sweep.grid={geometry: ring12, photons: 2, phi: [0.0, 1.0]}"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto before = arrays_of(dir / "run");
  const auto second = run_command({TESSERA_BIN, "run", "configs/photons_ci.yaml", out, "plots.enabled=false",
                                   "sweep.grid={geometry: ring12, photons: [2, 3], phi: [0.0, 1.0]}"});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("2/4 tasks finished"));
  const auto after = arrays_of(dir / "run");
  ASSERT_EQ(after.size(), 4u);
  for (const auto& [id, arrays] : before) {
    EXPECT_EQ(after.at(id), arrays) << "finished tasks are kept as they were";
  }
}

TEST(PhotonsJob, BadGridPointsAreConfigErrorsWithTheFileLine) {
  tessera::testing::TempDir dir;
  tessera::testing::write_text(dir / "bad.yaml",
                               "job: photons\nsweep:\n  grid: {photons: [2, 30], phi: 1.0}\n");
  const auto r = run_command({TESSERA_BIN, "validate", (dir / "bad.yaml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:3"));
  EXPECT_THAT(r.output, HasSubstr("photons = 30 (must be in [1, 24] on geometry ring)"));
  tessera::testing::write_text(dir / "bad2.yaml", "job: photons\nsweep:\n  grid: {photon: 2}\n");
  const auto r2 = run_command({TESSERA_BIN, "validate", (dir / "bad2.yaml").string()});
  EXPECT_EQ(r2.exit_code, 2) << r2.output;
  EXPECT_THAT(r2.output, HasSubstr("unknown grid key 'photon'"));
}

TEST(PhotonsJob, ADistributedStateGivesTheSubspaceResults) {
  tessera::testing::TempDir dir;
  const std::string grid = "sweep.grid={geometry: [ring12, deco12], photons: 2, phi: [0.5, 2.5]}";
  const auto sub = run_command({TESSERA_BIN, "run", "configs/photons_ci.yaml", "output.dir=" + (dir / "sub").string(),
                                "plots.enabled=false", "simulator.precision=c128", grid});
  ASSERT_EQ(sub.exit_code, 0) << sub.output;
  const auto dist = run_command(with(tessera::testing::mpirun(2),
                                     {TESSERA_BIN, "run", "configs/photons_ci.yaml",
                                      "output.dir=" + (dir / "dist").string(), "plots.enabled=false",
                                      "simulator.precision=c128", "simulator.kind=distributed", grid}));
  ASSERT_EQ(dist.exit_code, 0) << dist.output;
  // Task ids differ (the simulator is part of a task's identity): match by parameters.
  auto by_point = [](const std::filesystem::path& run) {
    std::map<std::string, sweep::NumericArray> out;
    for (const sweep::TaskRecord& r : sweep::read_results(run / "results.h5")) {
      out[r.params.at("geometry").get<std::string>() + "/" + r.params.at("phi").dump()] = r.total.arrays.at("occupation");
    }
    return out;
  };
  const auto a = by_point(dir / "sub"), b = by_point(dir / "dist");
  ASSERT_EQ(a.size(), 4u);
  for (const auto& [key, array] : a) {
    ASSERT_EQ(array.shape, b.at(key).shape);
    for (std::size_t i = 0; i < array.values.size(); ++i) {
      EXPECT_NEAR(array.values[i], b.at(key).values[i], 1e-12) << key;
    }
  }
}

}  // namespace
}  // namespace tessera::jobs::photons
