#include "runtime/mpi_coordinator.h"

#include <thread>

#include "runtime/error.h"
#include "runtime/mpi_check.h"

namespace tessera::runtime {

MpiCoordinator::MpiCoordinator(MPI_Comm parent, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  CommSite site{.backend = "mpi", .op = "coordinator setup"};
  TESSERA_MPI_CHECK(MPI_Comm_dup(parent, &comm_), site);
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiCoordinator::~MpiCoordinator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && finalized == 0) {
    MPI_Comm_free(&comm_);
  }
}

std::unique_ptr<Coordinator> MpiCoordinator::duplicate() {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  if (level < MPI_THREAD_MULTIPLE) {
    return nullptr;
  }
  return std::make_unique<MpiCoordinator>(comm_, timeout_);
}

void MpiCoordinator::wait(MPI_Request& request, const char* op) {
  // Poll with a growing pause: control messages are rare and small, so a
  // little latency is fine and an idle rank should not burn a core.
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  auto pause = std::chrono::microseconds(1);
  CommSite site{.backend = "mpi", .op = op, .rank = rank_, .size = size_, .seq = seq_};
  for (;;) {
    int done = 0;
    TESSERA_MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE), site);
    if (done != 0) {
      ++seq_;
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw TimeoutError(site, fmt::format("coordinator {} timed out after {} s (a peer rank never "
                                           "reached it)",
                                           op, timeout_.count() / 1000.0));
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
}

void MpiCoordinator::barrier() {
  MPI_Request request = MPI_REQUEST_NULL;
  TESSERA_MPI_CHECK(MPI_Ibarrier(comm_, &request), (CommSite{"mpi", "barrier", rank_, size_, seq_}));
  wait(request, "barrier");
}

std::vector<std::string> MpiCoordinator::all_gather(const std::string& bytes) {
  CommSite site{"mpi", "all_gather", rank_, size_, seq_};
  int length = static_cast<int>(bytes.size());
  std::vector<int> lengths(static_cast<std::size_t>(size_));
  MPI_Request request = MPI_REQUEST_NULL;
  TESSERA_MPI_CHECK(MPI_Iallgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm_, &request),
                    site);
  wait(request, "all_gather");
  std::vector<int> offsets(lengths.size());
  int total = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    offsets[i] = total;
    total += lengths[i];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  TESSERA_MPI_CHECK(MPI_Iallgatherv(bytes.data(), length, MPI_BYTE, all.data(), lengths.data(),
                                    offsets.data(), MPI_BYTE, comm_, &request),
                    site);
  wait(request, "all_gather");
  std::vector<std::string> out;
  out.reserve(lengths.size());
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    out.push_back(all.substr(static_cast<std::size_t>(offsets[i]), static_cast<std::size_t>(lengths[i])));
  }
  return out;
}

std::string MpiCoordinator::broadcast(const std::string& bytes, int root) {
  CommSite site{"mpi", "broadcast", rank_, size_, seq_};
  std::int64_t length = static_cast<std::int64_t>(bytes.size());
  MPI_Request request = MPI_REQUEST_NULL;
  TESSERA_MPI_CHECK(MPI_Ibcast(&length, 1, MPI_INT64_T, root, comm_, &request), site);
  wait(request, "broadcast");
  std::string out = rank_ == root ? bytes : std::string(static_cast<std::size_t>(length), '\0');
  TESSERA_MPI_CHECK(MPI_Ibcast(out.data(), static_cast<int>(length), MPI_BYTE, root, comm_, &request),
                    site);
  wait(request, "broadcast");
  return out;
}

std::int64_t MpiCoordinator::all_reduce_max(std::int64_t value) {
  std::int64_t out = 0;
  MPI_Request request = MPI_REQUEST_NULL;
  TESSERA_MPI_CHECK(
      MPI_Iallreduce(&value, &out, 1, MPI_INT64_T, MPI_MAX, comm_, &request),
      (CommSite{"mpi", "all_reduce_max", rank_, size_, seq_}));
  wait(request, "all_reduce_max");
  return out;
}

}  // namespace tessera::runtime
