#pragma once

// MpiCoordinator: the Coordinator over a private duplicate of MPI_COMM_WORLD.
// Operations are non-blocking MPI calls polled against a deadline, so a peer
// that never arrives becomes a TimeoutError instead of a hang.

#include <mpi.h>

#include <chrono>

#include "runtime/coordinator.h"

namespace tessera::runtime {

class MpiCoordinator final : public Coordinator {
 public:
  // Duplicates `parent`. Collective over `parent`.
  explicit MpiCoordinator(MPI_Comm parent = MPI_COMM_WORLD,
                          std::chrono::milliseconds timeout = std::chrono::minutes(10));
  ~MpiCoordinator() override;
  MpiCoordinator(const MpiCoordinator&) = delete;
  MpiCoordinator& operator=(const MpiCoordinator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void barrier() override;
  std::vector<std::string> all_gather(const std::string& bytes) override;
  std::string broadcast(const std::string& bytes, int root) override;
  std::int64_t all_reduce_max(std::int64_t value) override;
  // A new MpiCoordinator over a duplicate of this one's communicator; nullptr
  // unless MPI granted MPI_THREAD_MULTIPLE (two threads will call MPI).
  std::unique_ptr<Coordinator> duplicate() override;

 private:
  void wait(MPI_Request& request, const char* op);

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  std::int64_t seq_ = 0;
  std::chrono::milliseconds timeout_;
};

}  // namespace tessera::runtime
