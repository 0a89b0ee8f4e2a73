// Runs under mpiexec -n 2 and -n 4.

#include "runtime/mpi_coordinator.h"

#include <gtest/gtest.h>

#include <thread>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

TEST(MpiCoordinator, AllGatherCollectsEveryRanksBytesInRankOrder) {
  MpiCoordinator c;
  std::string mine(static_cast<std::size_t>(c.rank()) * 3, static_cast<char>('a' + c.rank()));
  std::vector<std::string> all = c.all_gather(mine);
  ASSERT_EQ(static_cast<int>(all.size()), c.size());
  for (int r = 0; r < c.size(); ++r) {
    EXPECT_EQ(all[static_cast<std::size_t>(r)],
              std::string(static_cast<std::size_t>(r) * 3, static_cast<char>('a' + r)));
  }
}

TEST(MpiCoordinator, BroadcastAndMax) {
  MpiCoordinator c;
  const int root = c.size() - 1;
  EXPECT_EQ(c.broadcast(c.rank() == root ? "from the last rank" : "", root), "from the last rank");
  EXPECT_EQ(c.all_reduce_max(c.rank() * 10), (c.size() - 1) * 10);
  c.barrier();
}

TEST(MpiCoordinator, LatePeerTurnsIntoATimeoutNamingTheOperation) {
  MpiCoordinator c(MPI_COMM_WORLD, std::chrono::milliseconds(300));
  if (c.rank() == 0) {
    try {
      c.barrier();  // the others arrive only after a second
      FAIL() << "expected a timeout";
    } catch (const TimeoutError& e) {
      EXPECT_NE(std::string(e.what()).find("barrier #0 on rank 0/"), std::string::npos) << e.what();
      EXPECT_EQ(e.site().seq, 0);
    }
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    c.barrier();  // completes rank 0's abandoned barrier, so nothing is left pending
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace tessera::runtime
