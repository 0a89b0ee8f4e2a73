#include "comm/mpi/mpi_types.h"

#include "comm/reduce_kernels.h"

namespace tessera::comm {
namespace {

template <DType kDType, ReduceOp kOp>
void reduce_16(void* in, void* inout, int* len, MPI_Datatype* /*type*/) {
  reduce_into(kDType, kOp, inout, in, static_cast<std::size_t>(*len));
}

template <DType kDType>
std::array<MPI_Op, 5> make_ops() {
  std::array<MPI_Op, 5> ops{};
  MPI_Op_create(reduce_16<kDType, ReduceOp::kSum>, 1, &ops[static_cast<int>(ReduceOp::kSum)]);
  ops[static_cast<int>(ReduceOp::kAvg)] = ops[static_cast<int>(ReduceOp::kSum)];
  MPI_Op_create(reduce_16<kDType, ReduceOp::kMin>, 1, &ops[static_cast<int>(ReduceOp::kMin)]);
  MPI_Op_create(reduce_16<kDType, ReduceOp::kMax>, 1, &ops[static_cast<int>(ReduceOp::kMax)]);
  MPI_Op_create(reduce_16<kDType, ReduceOp::kProd>, 1, &ops[static_cast<int>(ReduceOp::kProd)]);
  return ops;
}

}  // namespace

MPI_Datatype mpi_datatype(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return MPI_FLOAT;
    case DType::kF64:
      return MPI_DOUBLE;
    case DType::kF16:
    case DType::kBF16:
      return MPI_UINT16_T;
    case DType::kI32:
      return MPI_INT32_T;
    case DType::kI64:
      return MPI_INT64_T;
    case DType::kU8:
      return MPI_UINT8_T;
  }
  return MPI_DATATYPE_NULL;
}

MpiReduceOps::MpiReduceOps() {
  custom_[0] = make_ops<DType::kF16>();
  custom_[1] = make_ops<DType::kBF16>();
}

void MpiReduceOps::release() noexcept {
  for (auto& ops : custom_) {
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMin, ReduceOp::kMax, ReduceOp::kProd}) {
      if (ops[static_cast<int>(op)] != MPI_OP_NULL) {
        MPI_Op_free(&ops[static_cast<int>(op)]);
      }
    }
    ops.fill(MPI_OP_NULL);
  }
}

MPI_Op MpiReduceOps::get(DType dtype, ReduceOp op) const {
  if (dtype == DType::kF16 || dtype == DType::kBF16) {
    return custom_[dtype == DType::kF16 ? 0 : 1][static_cast<int>(op)];
  }
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAvg:
      return MPI_SUM;
    case ReduceOp::kMin:
      return MPI_MIN;
    case ReduceOp::kMax:
      return MPI_MAX;
    case ReduceOp::kProd:
      return MPI_PROD;
  }
  return MPI_OP_NULL;
}

}  // namespace tessera::comm
