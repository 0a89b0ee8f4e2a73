// The photon experiment with one state over all ranks (mpiexec -n 2, 4)
// against the single-rank simulators.

#include <mpi.h>

#include <gtest/gtest.h>

#include "comm/mpi/mpi_communicator.h"
#include "jobs/photons/photon_simulation.h"

namespace tessera::jobs::photons {
namespace {

TEST(PhotonDistributed, RingAndDecoratedRingEqualTheSingleRankSimulators) {
  auto comm = comm::MpiCommunicator::create(MPI_COMM_WORLD);
  for (const PhotonGeometry& geometry : {PhotonGeometry::ring(16), PhotonGeometry::decorated_ring(10, 0)}) {
    const PhotonTask task{3, geometry.ring_sites() / 2, 6, {0.5, 2.0, 0.4, 1.0}, 7};
    SimulationOptions options{Simulator::kDistributed, Precision::kComplex128};
    options.pair_occupations = true;
    options.shots = 1000;
    const PhotonResult distributed = simulate_photons(geometry, task, options, comm.get());
    options.simulator = Simulator::kFull;
    const PhotonResult full = simulate_photons(geometry, task, options);
    options.simulator = Simulator::kSubspace;
    const PhotonResult subspace = simulate_photons(geometry, task, options);
    ASSERT_EQ(distributed.occupation.size(), full.occupation.size());
    for (std::size_t i = 0; i < full.occupation.size(); ++i) {
      EXPECT_NEAR(distributed.occupation[i], full.occupation[i], 1e-12) << geometry.name() << " " << i;
      EXPECT_NEAR(distributed.occupation[i], subspace.occupation[i], 1e-12) << geometry.name() << " " << i;
    }
    for (std::size_t c = 0; c < full.bound.size(); ++c) {
      EXPECT_NEAR(distributed.bound[c], full.bound[c], 1e-12);
      EXPECT_NEAR(distributed.norm[c], 1.0, 1e-12);
    }
    for (std::size_t i = 0; i < full.pair_occupation.size(); ++i) {
      EXPECT_NEAR(distributed.pair_occupation[i], full.pair_occupation[i], 1e-12);
    }
    EXPECT_EQ(distributed.samples.size(), full.samples.size());
    EXPECT_EQ(distributed.amplitudes, std::uint64_t{1} << geometry.sites());
  }
}

}  // namespace
}  // namespace tessera::jobs::photons
