#include "jobs/photons/photon_plots.h"

#include <gtest/gtest.h>

#include "jobs/photons/photon_simulation.h"
#include "runtime/plot/gnuplot.h"
#include "tests/testing/temp_dir.h"

namespace tessera::jobs::photons {
namespace {

TEST(PhotonPlots, DrawsAHeatMapPerPhotonNumberAndBoundProbabilityAgainstPhi) {
  ASSERT_TRUE(runtime::Gnuplot::available()) << "gnuplot-nox is installed by scripts/setup.sh";
  const PhotonGeometry ring = PhotonGeometry::ring(10);
  std::vector<PlottedTask> tasks;
  for (int photons : {2, 3}) {
    for (double phi : {0.0, 1.0, 2.0}) {
      const PhotonResult r = simulate_photons(ring, {photons, 5, 6, {0.5, phi, 0, 0}, 1}, {});
      tasks.push_back({"ring", photons, phi, r.sites, r.cycles, r.occupation, r.bound});
    }
  }
  tessera::testing::TempDir dir;
  const std::vector<std::filesystem::path> files = plot_photons(tasks, dir.path());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].filename(), "occupation_ring_n2.png");
  EXPECT_EQ(files[1].filename(), "occupation_ring_n3.png");
  EXPECT_EQ(files[2].filename(), "bound_vs_phi_ring.png");
  for (const auto& f : files) {
    EXPECT_EQ(tessera::testing::read_text(f).substr(1, 3), "PNG") << f;
  }
}

TEST(PhotonPlots, LateBoundProbabilityAveragesTheSecondHalfOfTheCycles) {
  // Cycles 0..4: the mean of cycles 2, 3 and 4.
  EXPECT_DOUBLE_EQ(late_bound_probability({1.0, 1.0, 0.2, 0.4, 0.6}), 0.4);
}

}  // namespace
}  // namespace tessera::jobs::photons
