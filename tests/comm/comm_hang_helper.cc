// A program that misbehaves on purpose, for comm_e2e_test (run under mpirun):
//
//   comm_hang_helper skip   rank 1 never calls the all_reduce rank 0 waits in
//                           (synchronously, 1 s timeout): the watchdog must end
//                           the job with an error naming the op;
//   comm_hang_helper die    rank 1 exits before the all_reduce: rank 0 must not
//                           wait for it forever.

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "comm/mpi/mpi_communicator.h"
#include "runtime/log.h"
#include "runtime/mpi_session.h"

int main(int argc, char** argv) {
  using namespace tessera;
  const std::string mode = argc > 1 ? argv[1] : "";
  runtime::MpiSession mpi(&argc, &argv);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  runtime::configure_logging({.rank = rank, .size = size});
  comm::CommConfig config;
  config.timeout = std::chrono::seconds(mode == "skip" ? 1 : 600);
  auto world = comm::MpiCommunicator::create(MPI_COMM_WORLD, config);
  std::vector<float> data(1000, 1.0F);
  world->all_reduce(comm::as_buffer(data)).wait();  // #0: everybody
  if (rank == 1) {
    if (mode == "die") {
      std::_Exit(3);
    }
    std::this_thread::sleep_for(std::chrono::seconds(120));  // skips #1
    return 0;
  }
  world->all_reduce(comm::as_buffer(data)).wait();  // #1: rank 1 never comes
  fmt::print("rank {}: the all_reduce returned, which it must not\n", rank);
  return 0;
}
