#pragma once

// CUDA and NCCL status codes -> tessera::CommError at the call site.

#include <cuda_runtime.h>
#include <nccl.h>

#include <fmt/format.h>

#include "runtime/error.h"

#define TESSERA_CUDA_CHECK(call, site)                                                       \
  do {                                                                                       \
    cudaError_t tessera_cuda_rc_ = (call);                                                   \
    if (tessera_cuda_rc_ != cudaSuccess) {                                                   \
      throw ::tessera::CommError((site), ::fmt::format("{} failed: {}", #call,               \
                                                       cudaGetErrorString(tessera_cuda_rc_))); \
    }                                                                                        \
  } while (false)

#define TESSERA_NCCL_CHECK(call, site)                                                        \
  do {                                                                                        \
    ncclResult_t tessera_nccl_rc_ = (call);                                                   \
    if (tessera_nccl_rc_ != ncclSuccess) {                                                    \
      throw ::tessera::CommError(                                                             \
          (site), ::fmt::format("{} failed: {} (NCCL {}.{}.{})", #call,                       \
                                ncclGetErrorString(tessera_nccl_rc_), NCCL_MAJOR, NCCL_MINOR, \
                                NCCL_PATCH));                                                 \
    }                                                                                         \
  } while (false)
