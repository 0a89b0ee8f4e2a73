#pragma once

// Moving token rows between the ranks of the expert-parallel group.
//
//   std::vector<std::int64_t> recv = exchange_counts(ep, counts_per_expert);
//   torch::Tensor arrived = exchange_rows(ep, rows, send_rows, recv_rows, &timer);
//
// exchange_rows is an autograd function over comm's all_to_allv: forward
// sends rows [send_rows[0] to rank 0, send_rows[1] to rank 1, ...] and returns
// the rows received, rank 0's first; backward sends the incoming gradient
// back the same way with the counts swapped, so LibTorch differentiates
// through dispatch and combine. Collective over `comm` (forward and
// backward): every rank of the group calls it in the same order.

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "comm/communicator.h"

namespace tessera::jobs::moe {

// Wall time spent in exchanges (forward and backward), seconds.
struct ExchangeTimer {
  double seconds = 0;
};

// All-to-all of int64 counts: `send` holds size() blocks of equal length,
// block i goes to rank i; returns the blocks received, rank 0's first.
std::vector<std::int64_t> exchange_counts(comm::Communicator& comm, const std::vector<std::int64_t>& send);

// Rows of `rows` [N, d] (contiguous, on the communicator's device) to the
// ranks by `send_rows` (sums to N); returns [sum recv_rows, d]. rank i's
// send_rows[j] must equal rank j's recv_rows[i]. `timer` may be null; it
// must outlive the backward pass.
torch::Tensor exchange_rows(comm::Communicator& comm, const torch::Tensor& rows,
                            const std::vector<std::int64_t>& send_rows,
                            const std::vector<std::int64_t>& recv_rows, ExchangeTimer* timer);

}  // namespace tessera::jobs::moe
