#pragma once

// MPI datatypes and reduction ops for tessera dtypes.
//
// MPI has no 16-bit float arithmetic, so f16 and bf16 travel as MPI_UINT16_T
// and reduce through user-defined ops (MPI_Op_create, commutative) that
// compute in float (comm/reduce_kernels.h). kAvg reduces as a sum; the
// communicator divides afterwards.

#include <mpi.h>

#include <array>

#include "comm/dtype.h"
#include "comm/options.h"

namespace tessera::comm {

MPI_Datatype mpi_datatype(DType dtype);

// The user-defined ops for f16/bf16, created once per communicator (after
// MPI_Init); release() frees them (the owner calls it on its own thread).
class MpiReduceOps {
 public:
  MpiReduceOps();
  ~MpiReduceOps() = default;
  void release() noexcept;
  MpiReduceOps(const MpiReduceOps&) = delete;
  MpiReduceOps& operator=(const MpiReduceOps&) = delete;

  MPI_Op get(DType dtype, ReduceOp op) const;

 private:
  // [0]: f16, [1]: bf16; by ReduceOp.
  std::array<std::array<MPI_Op, 5>, 2> custom_{};
};

}  // namespace tessera::comm
