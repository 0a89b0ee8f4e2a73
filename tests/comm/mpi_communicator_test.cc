// The conformance suite on the MPI backend, run by ctest under mpiexec -n 2
// and -n 4 (every rank runs every test; the world size is mpiexec's).

#include "comm/mpi/mpi_communicator.h"

#include <mpi.h>

#include "tests/comm/communicator_conformance.h"

namespace tessera::comm::testing {

struct MpiHarness {
  static std::vector<int> world_sizes() {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return {size};
  }
  static void run(int /*size*/, const std::function<void(Communicator&)>& body,
                  const CommConfig& config) {
    std::unique_ptr<MpiCommunicator> comm = MpiCommunicator::create(MPI_COMM_WORLD, config);
    body(*comm);
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Mpi, CommunicatorConformance, MpiHarness);

TEST(MpiCommunicator, WorksOnAPrivateDuplicateOfTheWorld) {
  std::unique_ptr<MpiCommunicator> comm = MpiCommunicator::create(MPI_COMM_WORLD);
  int result = MPI_UNEQUAL;
  MPI_Comm_compare(comm->mpi_handle(), MPI_COMM_WORLD, &result);
  EXPECT_EQ(result, MPI_CONGRUENT);
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  EXPECT_EQ(comm->rank(), rank);
  EXPECT_EQ(comm->backend_name(), "mpi");
}

TEST(MpiCommunicator, AReceiveThatTimesOutIsCancelledAndTheCommunicatorStaysUsable) {
  std::unique_ptr<MpiCommunicator> comm = MpiCommunicator::create(MPI_COMM_WORLD);
  std::int32_t value = 0;
  if (comm->rank() == 0) {
    try {
      comm->recv(as_buffer(value), 1, {.timeout = std::chrono::milliseconds(100)}).wait();
      ADD_FAILURE() << "nothing was sent";
    } catch (const TimeoutError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("withdrawn"));
    }
  }
  comm->barrier().wait();
  if (comm->rank() == 1) {
    value = 42;
    comm->send(as_buffer(value), 0).wait();
  } else if (comm->rank() == 0) {
    comm->recv(as_buffer(value), 1).wait();
    EXPECT_EQ(value, 42);
  }
  comm->barrier().wait();
}

}  // namespace tessera::comm::testing
