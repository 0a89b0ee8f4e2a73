#pragma once

// MpiCommunicator: the Communicator over MPI, for CPU buffers.
//
// It works on a private duplicate of the communicator it is made from (so its
// traffic never matches anyone else's) plus a second duplicate for control
// messages (comm_debug fingerprints), both freed with it.
//
// Execution. A synchronous collective runs as the blocking MPI call on the
// caller's thread, so it costs what the MPI call costs; the watchdog ends the
// job if it never returns. Asynchronous collectives run, in issue order, as
// blocking MPI calls on one worker thread per communicator: the worker is
// inside MPI driving the transfer while the caller computes, which is what
// lets gradient all-reduces overlap the backward pass (Open MPI's
// non-blocking collectives progress only inside MPI calls, and its tuned
// blocking algorithms are faster). send/recv are posted at once as
// MPI_Isend/MPI_Irecv from the caller's thread and complete through polling
// (Work::wait, Work::is_completed); a recv that times out is cancelled and
// the communicator stays usable.
//
// Needs MPI_THREAD_MULTIPLE for asynchronous collectives and point-to-point
// beside them; with a lower thread level every operation runs synchronously on
// the caller's thread (a warning says so). Counts are limited to INT_MAX
// elements per call.

#include <mpi.h>

#include <memory>

#include "comm/communicator.h"
#include "comm/op_queue.h"

namespace tessera::comm {

struct MpiContext;

class MpiCommunicator final : public Communicator {
 public:
  // Collective over `parent` (which must be a live communicator; MPI must be
  // initialised). `watchdog` null: a new one for this communicator tree.
  static std::unique_ptr<MpiCommunicator> create(MPI_Comm parent,
                                                 CommConfig config = {},
                                                 std::shared_ptr<Watchdog> watchdog = nullptr);
  ~MpiCommunicator() override;

  // The private data communicator, for code that must call MPI directly (the
  // benchmark's baseline). Do not free it.
  MPI_Comm mpi_handle() const;

 protected:
  std::shared_ptr<WorkState> start(Op op) override;
  std::unique_ptr<Communicator> split_impl(const Op& op) override;
  std::vector<std::string> control_all_gather(const std::string& bytes,
                                              WorkState::Clock::time_point deadline) override;

 private:
  MpiCommunicator(std::shared_ptr<MpiContext> context,
                  CommConfig config,
                  std::shared_ptr<Watchdog> watchdog);
  std::shared_ptr<WorkState> start_point_to_point(Op op);

  std::shared_ptr<MpiContext> context_;
  bool threads_ok_ = false;  // MPI_THREAD_MULTIPLE granted
  OpQueue queue_;
};

}  // namespace tessera::comm
