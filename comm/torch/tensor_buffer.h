#pragma once

// The torch adapter: Buffers over torch::Tensor memory.
//
//   comm.all_reduce(comm::as_buffer(grad), {.op = comm::ReduceOp::kAvg}).wait();
//
// The view aliases the tensor's storage: the tensor must stay alive and
// unmodified until the operation completes. Only contiguous tensors of a
// supported dtype qualify; anything else is an Error that says what to do.
// The communicator then checks the device (CPU for mpi and local, the
// rank's CUDA device for nccl).

#include <torch/types.h>

#include <optional>

#include "comm/buffer.h"

namespace tessera::comm {

// The comm dtype of a torch scalar type; nullopt for unsupported ones
// (complex, bool, int8, int16, ...).
std::optional<DType> dtype_of(c10::ScalarType type);
// The torch scalar type of a comm dtype.
c10::ScalarType scalar_type_of(DType dtype);
// The comm device of a torch device (CPU or CUDA).
Device device_of(const c10::Device& device);

// A view of `tensor`'s elements. Throws Error for an undefined,
// non-contiguous, or unsupported-dtype tensor, or one on a device that is
// neither CPU nor CUDA.
Buffer as_buffer(const torch::Tensor& tensor);

}  // namespace tessera::comm
