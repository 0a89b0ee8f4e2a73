#pragma once

// LocalWorld: the shared state of a group of ranks that are threads of one
// process (the `local` backend). Each rank talks through its own
// LocalCommunicator; the world is where they meet.
//
// Collectives meet in a slot per sequence number: every rank posts its
// operation (buffers included), each computes its own result from everybody's
// inputs, and nobody leaves until all have read (so inputs stay valid). The
// result is computed the same way on every rank, reducing in rank order, so it
// is deterministic and identical everywhere. Point-to-point messages are
// copied at send time and matched to posted receives in order, as MPI does.
//
// A rank that fails or times out aborts the world: every pending and later
// operation of the other ranks (and of sub-worlds split from it) fails with an
// error naming the first failure, instead of waiting.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "comm/comm_config.h"
#include "comm/op.h"
#include "comm/work.h"

namespace tessera::comm {

class Communicator;

class LocalWorld {
 public:
  using Clock = WorkState::Clock;

  explicit LocalWorld(int size);
  LocalWorld(const LocalWorld&) = delete;
  LocalWorld& operator=(const LocalWorld&) = delete;

  int size() const { return size_; }

  // One collective's meeting point.
  struct Slot {
    std::vector<const Op*> ops;        // by rank, valid between arrive and depart
    std::vector<std::string> bytes;    // control exchanges
    int arrived = 0;
    int departed = 0;
  };
  // Posts `op` for collective `seq` and waits until every rank has. Throws
  // DeadlinePassed (work.h) at `deadline`, CommError (at `site`) if the world
  // aborted.
  std::shared_ptr<Slot> arrive(std::int64_t seq, int rank, const Op& op, Clock::time_point deadline,
                               const CommSite& site);
  // Waits until every rank has finished reading the slot's inputs.
  void depart(std::int64_t seq, Slot& slot, Clock::time_point deadline, const CommSite& site);
  // Control channel: every rank's `bytes` for control exchange `seq`.
  std::vector<std::string> exchange(std::int64_t seq, int rank, std::string bytes,
                                    Clock::time_point deadline, const CommSite& site);

  // Point to point. A send copies `data` and completes at once.
  void send(int source, int dest, int tag, const Buffer& data);
  // A receive posted by rank `dest`; completes `state` when matched.
  struct PostedRecv {
    int source = kAnySource;
    int tag = kAnyTag;
    Buffer into;
    std::shared_ptr<WorkState> state;
  };
  void post_recv(int dest, PostedRecv recv);
  // Removes a posted receive that has not matched; false if it already did.
  bool cancel_recv(int dest, const WorkState* state);

  // The sub-world for `color` of split number `seq` (created by the first rank to ask).
  std::shared_ptr<LocalWorld> child(std::int64_t seq, int color, int size);

  // Fails every pending and later operation with `reason` (the first reason sticks).
  void abort(const std::string& reason);

 private:
  struct Message {
    int source;
    int tag;
    DType dtype;
    std::size_t count;
    std::vector<std::byte> data;
  };
  struct Mailbox {
    std::deque<Message> unexpected;  // arrived before a matching receive
    std::list<PostedRecv> posted;    // receives waiting for a message
  };

  void throw_if_aborted(const CommSite& site) const;  // with mu_ held
  template <class Pred>
  void wait(std::unique_lock<std::mutex>& lock, Clock::time_point deadline, const CommSite& site,
            Pred done);

  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<int, std::int64_t>, std::shared_ptr<Slot>> slots_;  // (channel, seq)
  std::vector<Mailbox> mailboxes_;
  std::map<std::pair<std::int64_t, int>, std::weak_ptr<LocalWorld>> children_;
  std::string abort_reason_;
};

// Runs `body` on `size` threads, rank r with a LocalCommunicator of rank r in
// one new world, and waits for all. If a rank throws, the world is aborted
// (so the others stop waiting) and the first rank's exception is rethrown
// here (the others' failures are echoes of it).
void run_local_ranks(int size, const std::function<void(Communicator&)>& body,
                     const CommConfig& config = {});

}  // namespace tessera::comm
