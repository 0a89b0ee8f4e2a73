#pragma once

// Internal to jobs/sweep: byte messages between rank 0 and the other ranks,
// over a comm::Communicator of its own (MPI backend, so buffers stay in host
// memory whatever runtime.backend says), so they never meet a job's own
// traffic. A message is two point-to-point sends: an int64 length, then the
// bytes (comm receives exact counts). Only one thread per process uses it. A
// world of one rank gets an inactive channel.
//
// Receiving from any rank needs a posted receive; try_recv() posts one only
// while the caller still expects messages, so none is left pending when the
// communicator goes away.

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "comm/communicator.h"
#include "runtime/job.h"

namespace tessera::jobs::sweep::detail {

class SweepChannel {
 public:
  static constexpr int kToMaster = 301;  // + 1: the payload of the message
  static constexpr int kToWorker = 303;

  // Collective over the world when it has more than one rank.
  explicit SweepChannel(const runtime::JobContext& context);
  ~SweepChannel();
  SweepChannel(const SweepChannel&) = delete;
  SweepChannel& operator=(const SweepChannel&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Returns at once; the bytes are kept until the sends complete.
  void send(int peer, int tag, std::string bytes);
  // A message with `tag` from any rank if one has arrived. `expect_more`:
  // whether any rank may still send one (else nothing new is posted).
  std::optional<std::pair<int, std::string>> try_recv(int tag, bool expect_more);
  // Waits for the next message with `tag` from `peer`.
  std::string recv(int peer, int tag);

 private:
  struct Outgoing {
    std::int64_t length;
    std::vector<std::uint8_t> bytes;
    comm::Work header;
    comm::Work payload;
  };
  void reap(bool wait_all);
  std::string payload_from(int peer, int tag, std::int64_t length);

  std::unique_ptr<comm::Communicator> comm_;
  int rank_ = 0;
  int size_ = 1;
  std::list<Outgoing> outgoing_;
  std::int64_t incoming_length_ = 0;
  std::optional<comm::Work> incoming_;
  int incoming_tag_ = -1;
};

}  // namespace tessera::jobs::sweep::detail
