#pragma once

// Op: one communication operation as the Communicator front end hands it to a
// backend, and its Fingerprint, the part every rank must agree on.
//
// This header is for backends and diagnostics; callers use communicator.h.

#include <array>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "comm/buffer.h"
#include "comm/options.h"

namespace tessera::comm {

enum class OpKind : std::uint8_t {
  kAllReduce,
  kBroadcast,
  kReduce,
  kAllGather,
  kAllGatherv,
  kReduceScatter,
  kAllToAll,
  kAllToAllv,
  kBarrier,
  kSplit,
  kSend,
  kRecv,
};

// "all_reduce", "all_to_allv", ...
std::string_view op_name(OpKind kind);

constexpr bool is_collective(OpKind kind) { return kind != OpKind::kSend && kind != OpKind::kRecv; }

// What ranks must agree on for collective number `seq`. `count` is the element
// count every rank passes the same value for: all_reduce/broadcast/barrier the
// buffer, reduce/all_gather/all_to_all the send buffer, all_gatherv the
// gathered total, reduce_scatter the received block; all_to_allv has none (its
// splits are checked pairwise). `root` is -1 for rootless ops.
struct Fingerprint {
  std::int64_t seq = -1;
  OpKind kind = OpKind::kBarrier;
  DType dtype = DType::kU8;
  ReduceOp reduce = ReduceOp::kSum;
  std::int32_t root = -1;
  std::uint64_t count = 0;

  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
  // "all_reduce(f32 x 1000, sum)", "broadcast(u8 x 8, root 2)", "barrier()"
  std::string describe() const;

  // Fixed-size wire form for exchanging fingerprints between ranks.
  using Wire = std::array<std::int64_t, 6>;
  Wire to_wire() const;
  static Fingerprint from_wire(const Wire& wire);
};

struct Op {
  OpKind kind = OpKind::kBarrier;
  Buffer send;                            // input; for broadcast the buffer itself
  Buffer recv;                            // output; for broadcast the buffer itself
  std::vector<std::size_t> send_counts;   // all_to_allv: elements to each rank
  std::vector<std::size_t> recv_counts;   // all_gatherv, all_to_allv: elements from each rank
  ReduceOp reduce = ReduceOp::kSum;
  int root = -1;                          // broadcast, reduce
  int peer = -1;                          // send, recv (kAnySource allowed for recv)
  int tag = 0;                            // send, recv
  int color = 0;                          // split
  int key = 0;                            // split
  bool in_place = false;                  // send and recv share memory (see communicator.h)
  bool async = false;
  std::int64_t seq = -1;                  // collective or point-to-point sequence number
  Timeout timeout{0};                     // resolved (never zero)

  Fingerprint fingerprint() const;
};

// When the fingerprints (indexed by rank) differ: "ranks 0,2 called
// all_reduce(f32 x 8, sum) #3; rank 1 called broadcast(f32 x 8, root 0) #3".
std::optional<std::string> describe_disagreement(const std::vector<Fingerprint>& by_rank);

// Offsets of packed blocks: {0, c0, c0+c1, ...} (size n, not n + 1).
std::vector<std::size_t> exclusive_prefix_sum(const std::vector<std::size_t>& counts);

}  // namespace tessera::comm
