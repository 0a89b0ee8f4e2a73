#pragma once

// Per-operation options: plain aggregates whose defaults are what most calls
// want, so a call site names only what it changes:
//
//   comm.all_reduce(buf, {.op = ReduceOp::kMax, .async = true});
//
// `timeout` zero means the communicator's default (runtime.comm_timeout,
// 10 minutes unless configured). `async` false makes the call return only
// when the operation has completed (the returned Work is already complete);
// true lets it return at once, and the buffers belong to the communicator
// until the Work completes.

#include <chrono>
#include <cstdint>
#include <string_view>

namespace tessera::comm {

enum class ReduceOp : std::uint8_t {
  kSum,
  kAvg,   // sum / size; integer dtypes truncate toward zero (as NCCL does)
  kMin,
  kMax,
  kProd,
};

// "sum", "avg", ...
std::string_view reduce_op_name(ReduceOp op);

inline constexpr ReduceOp kAllReduceOps[] = {ReduceOp::kSum, ReduceOp::kAvg, ReduceOp::kMin,
                                             ReduceOp::kMax, ReduceOp::kProd};

// recv(..., kAnySource): take the next matching message from any rank; the
// Work's source_rank() tells which.
inline constexpr int kAnySource = -1;
// recv with tag kAnyTag matches any tag.
inline constexpr int kAnyTag = -1;
// Largest tag a send may use (MPI guarantees at least 32767).
inline constexpr int kMaxTag = 32767;
// split(kNoColor, key): this rank joins no sub-communicator (split returns null).
inline constexpr int kNoColor = -1;

using Timeout = std::chrono::milliseconds;

struct AllReduceOptions {
  ReduceOp op = ReduceOp::kSum;
  Timeout timeout{0};
  bool async = false;
};

struct ReduceOptions {
  ReduceOp op = ReduceOp::kSum;
  int root = 0;
  Timeout timeout{0};
  bool async = false;
};

struct BroadcastOptions {
  int root = 0;
  Timeout timeout{0};
  bool async = false;
};

struct AllGatherOptions {
  Timeout timeout{0};
  bool async = false;
};

struct ReduceScatterOptions {
  ReduceOp op = ReduceOp::kSum;
  Timeout timeout{0};
  bool async = false;
};

struct AllToAllOptions {
  Timeout timeout{0};
  bool async = false;
};

struct BarrierOptions {
  Timeout timeout{0};
  bool async = false;
};

struct SendOptions {
  int tag = 0;  // 0..kMaxTag
  Timeout timeout{0};
  bool async = false;
};

struct RecvOptions {
  int tag = 0;  // 0..kMaxTag, or kAnyTag
  Timeout timeout{0};
  bool async = false;
};

}  // namespace tessera::comm
