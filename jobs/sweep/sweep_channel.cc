#include "jobs/sweep/sweep_channel.h"

#include <thread>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/mpi_check.h"

namespace tessera::jobs::sweep::detail {
namespace {

CommSite site(const char* op, int rank, int size, int peer = -1) {
  return CommSite{"mpi", op, rank, size, -1, peer};
}

}  // namespace

SweepChannel::SweepChannel() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized == 0 || finalized != 0) {
    return;
  }
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  if (size_ > 1) {
    TESSERA_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), site("comm_dup", rank_, size_));
  }
}

SweepChannel::~SweepChannel() {
  if (comm_ != MPI_COMM_NULL) {
    try {
      reap_sends(true);
    } catch (...) {
    }
    MPI_Comm_free(&comm_);
  }
}

void SweepChannel::reap_sends(bool wait_all) {
  for (auto it = sends_.begin(); it != sends_.end();) {
    int done = 0;
    if (wait_all) {
      MPI_Wait(&it->request, MPI_STATUS_IGNORE);
      done = 1;
    } else {
      TESSERA_MPI_CHECK(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE), site("test", rank_, size_));
    }
    it = done != 0 ? sends_.erase(it) : std::next(it);
  }
}

void SweepChannel::send(int peer, int tag, std::string bytes) {
  reap_sends(false);
  sends_.push_back(Pending{std::move(bytes), MPI_REQUEST_NULL});
  Pending& p = sends_.back();
  TESSERA_MPI_CHECK(MPI_Isend(p.bytes.data(), static_cast<int>(p.bytes.size()), MPI_BYTE, peer, tag, comm_,
                              &p.request),
                    site("isend", rank_, size_, peer));
}

std::optional<std::pair<int, std::string>> SweepChannel::try_recv(int tag) {
  if (comm_ == MPI_COMM_NULL) {
    return std::nullopt;
  }
  int flag = 0;
  MPI_Status status;
  TESSERA_MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, tag, comm_, &flag, &status), site("iprobe", rank_, size_));
  if (flag == 0) {
    return std::nullopt;
  }
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  std::string bytes(static_cast<std::size_t>(count), '\0');
  TESSERA_MPI_CHECK(MPI_Recv(bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, tag, comm_, MPI_STATUS_IGNORE),
                    site("recv", rank_, size_, status.MPI_SOURCE));
  return std::make_pair(status.MPI_SOURCE, std::move(bytes));
}

std::string SweepChannel::recv(int peer, int tag, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(20);
  for (;;) {
    int flag = 0;
    MPI_Status status;
    TESSERA_MPI_CHECK(MPI_Iprobe(peer, tag, comm_, &flag, &status), site("iprobe", rank_, size_, peer));
    if (flag != 0) {
      int count = 0;
      MPI_Get_count(&status, MPI_BYTE, &count);
      std::string bytes(static_cast<std::size_t>(count), '\0');
      TESSERA_MPI_CHECK(MPI_Recv(bytes.data(), count, MPI_BYTE, peer, tag, comm_, MPI_STATUS_IGNORE),
                        site("recv", rank_, size_, peer));
      reap_sends(false);
      return bytes;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw TimeoutError(site("recv", rank_, size_, peer),
                         fmt::format("sweep: no word from rank {} for {} s", peer,
                                     std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
}

}  // namespace tessera::jobs::sweep::detail
