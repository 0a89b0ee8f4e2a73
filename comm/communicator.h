#pragma once

// Communicator: moves and reduces data between the ranks of a group.
//
// One interface, several backends (comm/mpi, comm/nccl, comm/local), chosen
// by make_communicator() (factory.h) from runtime.backend. Jobs hold a
// Communicator& and never name a backend.
//
// Contract
// --------
// * Ordering. Every rank of the communicator issues the same collectives in
//   the same order, with matching arguments (same dtype and element counts,
//   same root, same reduce op). Collectives are numbered per communicator
//   (0, 1, 2, ...); errors name that sequence number. A rank that skips or
//   swaps a collective makes the others wait until the timeout; with
//   runtime.comm_debug the ranks compare a fingerprint first and fail at once
//   with an error naming who called what. split() counts as a collective.
// * Point-to-point. send/recv match by (source, tag) in the order posted, as in
//   MPI. recv receives exactly buffer.count elements; a message of another
//   length is an error. recv(buf, kAnySource) takes the next matching message
//   from any rank; Work::source_rank() then names the sender.
// * Buffers. Every buffer must be on device() (CPU memory for mpi and local,
//   this rank's CUDA device for nccl) and stay valid and untouched until the
//   operation's Work completes. Buffers of one call share one dtype.
//   In place: pass the same memory as send and recv in the canonical layout:
//     all_reduce, reduce, all_to_all    send.data == recv.data
//     all_gather(v)                     send is this rank's block of recv
//     reduce_scatter                    recv is this rank's block of send
//   broadcast is always in place. Any other overlap is an error, and
//   all_to_allv needs separate buffers.
// * Completion. Each call returns a Work (work.h). With options.async false
//   (the default) the call returns when the operation is complete; with true
//   it returns at once and the operation runs in the background, in issue
//   order with the communicator's other operations, overlapping the caller's
//   computation. Work::wait() rethrows failures.
// * Timeouts. Every operation has one (options.timeout, else the config's
//   default of 10 minutes). A late operation fails with a TimeoutError naming
//   backend, op, sequence number, element count and rank; the watchdog ends
//   the job when nobody is waiting to report it (watchdog.h). After a timeout
//   the communicator is unusable: later calls fail at once. A timed-out
//   collective is abandoned, not cancelled: if its peers arrive late the
//   library may still complete it and write its buffers, so keep them alive
//   (jobs end anyway). A timed-out recv is withdrawn where the backend can
//   (mpi, local), and then the communicator stays usable.
// * Threads. Calls may come from several threads, but the ordering rule is
//   about the order calls are made, so issue collectives from one thread at a
//   time (the gradient reducer issues from the autograd thread while the
//   training loop waits in backward()). Completion may happen on a backend
//   thread. A communicator must outlive the Works of its pending operations.
// * Errors. Invalid arguments (wrong device, counts that do not add up, a peer
//   out of range) throw CommError before anything is sent, on the calling rank
//   only; the job then ends. Library failures arrive through Work::wait().
//
// Operation semantics (n = size(), r = rank(), counts in elements):
//   all_reduce(send, recv)       recv = op over ranks of send; same count everywhere
//   reduce(send, recv, root)     like all_reduce, result only on root (recv ignored elsewhere)
//   broadcast(buf, root)         buf = root's buf
//   all_gather(send, recv)       recv[i*c, (i+1)*c) = send of rank i; recv.count = n*c
//   all_gatherv(send, recv, rc)  recv = send of rank 0, then rank 1, ... packed;
//                                rc[i] = count rank i sends (rc[r] == send.count)
//   reduce_scatter(send, recv)   recv = op over ranks of send[r*c, (r+1)*c); send.count = n*c
//   all_to_all(send, recv)       block i of send goes to rank i, block j of recv
//                                comes from rank j; blocks are count/n elements
//   all_to_allv(send, sc, recv, rc)  like all_to_all with packed uneven blocks:
//                                sc[i] elements to rank i, rc[j] from rank j;
//                                rank i's sc[j] must equal rank j's rc[i]
//   barrier()                    returns when every rank has entered it
//   send(buf, peer) / recv(buf, peer)  point-to-point; tags 0..kMaxTag
//   split(color, key)            sub-communicators of the ranks with equal
//                                color, ranked by (key, old rank); kNoColor: none

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "comm/buffer.h"
#include "comm/comm_config.h"
#include "comm/comm_health.h"
#include "comm/op.h"
#include "comm/options.h"
#include "comm/watchdog.h"
#include "comm/work.h"

namespace tessera::comm {

class Communicator {
 public:
  virtual ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // "mpi", "nccl", "local"
  std::string_view backend_name() const { return backend_; }
  // Where buffers must live.
  Device device() const { return device_; }
  const CommConfig& config() const { return config_; }
  // "mpi rank 1/4"
  std::string describe() const;

  Work all_reduce(Buffer send, Buffer recv, const AllReduceOptions& options = {});
  Work all_reduce(Buffer inout, const AllReduceOptions& options = {}) {
    return all_reduce(inout, inout, options);
  }
  Work reduce(Buffer send, Buffer recv, const ReduceOptions& options = {});
  Work broadcast(Buffer inout, const BroadcastOptions& options = {});
  Work all_gather(Buffer send, Buffer recv, const AllGatherOptions& options = {});
  Work all_gatherv(Buffer send,
                   Buffer recv,
                   std::span<const std::size_t> recv_counts,
                   const AllGatherOptions& options = {});
  Work reduce_scatter(Buffer send, Buffer recv, const ReduceScatterOptions& options = {});
  Work all_to_all(Buffer send, Buffer recv, const AllToAllOptions& options = {});
  Work all_to_allv(Buffer send,
                   std::span<const std::size_t> send_counts,
                   Buffer recv,
                   std::span<const std::size_t> recv_counts,
                   const AllToAllOptions& options = {});
  Work barrier(const BarrierOptions& options = {});
  Work send(Buffer data, int peer, const SendOptions& options = {});
  Work recv(Buffer data, int peer, const RecvOptions& options = {});

  // Collective. The new communicator shares this one's config and watchdog
  // and is independent of it afterwards (its own sequence numbers). Returns
  // null for color == kNoColor.
  std::unique_ptr<Communicator> split(int color, int key);

 protected:
  Communicator(int rank,
               int size,
               std::string backend,
               Device device,
               CommConfig config,
               std::shared_ptr<Watchdog> watchdog);

  // Starts `op` (validated, sequence-numbered, timeout resolved) and returns
  // its state, made with new_state(). For a synchronous op the backend may
  // finish it before returning; the front end then waits on the state either
  // way. Runs ops in issue order.
  virtual std::shared_ptr<WorkState> start(Op op) = 0;
  // Collective: the sub-communicator for `op` (kind kSplit, color, key, seq),
  // or null for kNoColor.
  virtual std::unique_ptr<Communicator> split_impl(const Op& op) = 0;
  // Collective on a channel separate from the data: every rank's `bytes`, by
  // rank. Used by comm_debug; bounded by `deadline` (TimeoutError).
  virtual std::vector<std::string> control_all_gather(const std::string& bytes,
                                                      WorkState::Clock::time_point deadline) = 0;

  // A WorkState (or a subclass) for `op`, watched by the watchdog.
  template <class State = WorkState, class... Args>
  std::shared_ptr<State> new_state(const Op& op, Args&&... args) {
    auto state = std::make_shared<State>(site(op), op.fingerprint(), op.timeout, health_,
                                         std::forward<Args>(args)...);
    watchdog_->watch(state);
    return state;
  }
  // With comm_debug on, compares `op`'s fingerprint across ranks (and for
  // all_to_allv the splits) and throws CommError naming the ranks that
  // disagree. Backends call it when the op starts executing, in issue order.
  void check_agreement(const Op& op);
  // The error location of `op`.
  CommSite site(const Op& op) const;
  // A CommError at `op` (for backends reporting library failures).
  CommError error(const Op& op, const std::string& what) const;

  const std::shared_ptr<CommHealth>& health() const { return health_; }
  const std::shared_ptr<Watchdog>& watchdog() const { return watchdog_; }

 private:
  // Validates nothing; numbers and submits, then waits when synchronous.
  Work issue(Op op, Timeout timeout);
  void require_healthy(const Op& op) const;
  void check_buffer(const Op& op, const Buffer& buffer, std::string_view which) const;

  int rank_;
  int size_;
  std::string backend_;
  Device device_;
  CommConfig config_;
  std::shared_ptr<Watchdog> watchdog_;
  std::shared_ptr<CommHealth> health_ = std::make_shared<CommHealth>();
  std::atomic<std::int64_t> next_collective_{0};
  std::atomic<std::int64_t> next_p2p_{0};
};

}  // namespace tessera::comm
