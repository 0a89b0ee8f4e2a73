#pragma once

// Internal to jobs/sweep: byte messages between rank 0 and the other ranks on
// a private duplicate of MPI_COMM_WORLD (so they never meet a job's own
// traffic). Only one thread per process uses it. A world of one rank, or a
// process without MPI, gets an inactive channel.
//
// TODO(comm): move onto comm::Communicator's send/recv (kAnySource) once it
// is on main; the engine only needs the four calls below.

#include <mpi.h>

#include <chrono>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <utility>

namespace tessera::jobs::sweep::detail {

class SweepChannel {
 public:
  static constexpr int kToMaster = 31001;
  static constexpr int kToWorker = 31002;

  // Collective over MPI_COMM_WORLD when MPI is initialised.
  SweepChannel();
  ~SweepChannel();
  SweepChannel(const SweepChannel&) = delete;
  SweepChannel& operator=(const SweepChannel&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Non-blocking: the bytes are kept until the send completes.
  void send(int peer, int tag, std::string bytes);
  // A message with `tag` from any rank, if one has arrived.
  std::optional<std::pair<int, std::string>> try_recv(int tag);
  // Waits for a message with `tag` from `peer`; throws TimeoutError after
  // `timeout`. `idle` runs between polls.
  std::string recv(int peer, int tag, std::chrono::milliseconds timeout);

 private:
  void reap_sends(bool wait_all);

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  struct Pending {
    std::string bytes;
    MPI_Request request;
  };
  std::list<Pending> sends_;
};

}  // namespace tessera::jobs::sweep::detail
