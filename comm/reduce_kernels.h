#pragma once

// Element-wise reduction kernels on CPU memory, for backends whose library
// lacks a dtype (MPI has no f16/bf16 arithmetic) and for the local backend.
//
// Integer sums and products wrap around (two's complement); f16 and bf16 are
// computed in float and rounded back after every step, so a reduction over n
// ranks rounds n - 1 times, as a library's pairwise reduction would.

#include <cstddef>

#include "comm/dtype.h"
#include "comm/options.h"

namespace tessera::comm {

// acc[i] = acc[i] (op) in[i] for i < count. kAvg accumulates as kSum.
void reduce_into(DType dtype, ReduceOp op, void* acc, const void* in, std::size_t count);

// data[i] /= divisor: the last step of kAvg. Floating dtypes divide (f16/bf16
// in float); integer dtypes truncate toward zero.
void divide_by(DType dtype, void* data, std::size_t count, int divisor);

}  // namespace tessera::comm
