#include "tests/comm/comm_test_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tessera::comm::testing {

Values::Values(DType dtype, std::size_t count)
    : dtype_(dtype), count_(count), bytes_(count * dtype_size(dtype)) {}

Values::Values(DType dtype, std::size_t count, const std::function<double(std::size_t)>& fill)
    : Values(dtype, count) {
  for (std::size_t i = 0; i < count; ++i) {
    set(i, fill(i));
  }
}

double Values::get(std::size_t i) const {
  const std::byte* p = bytes_.data() + i * dtype_size(dtype_);
  switch (dtype_) {
    case DType::kF32: {
      float v;
      std::memcpy(&v, p, sizeof v);
      return v;
    }
    case DType::kF64: {
      double v;
      std::memcpy(&v, p, sizeof v);
      return v;
    }
    case DType::kF16: {
      Half v;
      std::memcpy(&v, p, sizeof v);
      return to_float(v);
    }
    case DType::kBF16: {
      BFloat16 v;
      std::memcpy(&v, p, sizeof v);
      return to_float(v);
    }
    case DType::kI32: {
      std::int32_t v;
      std::memcpy(&v, p, sizeof v);
      return v;
    }
    case DType::kI64: {
      std::int64_t v;
      std::memcpy(&v, p, sizeof v);
      return static_cast<double>(v);
    }
    case DType::kU8:
      return static_cast<double>(static_cast<std::uint8_t>(*p));
  }
  return 0;
}

void Values::set(std::size_t i, double value) {
  std::byte* p = bytes_.data() + i * dtype_size(dtype_);
  auto put = [p](auto v) { std::memcpy(p, &v, sizeof v); };
  switch (dtype_) {
    case DType::kF32:
      return put(static_cast<float>(value));
    case DType::kF64:
      return put(value);
    case DType::kF16:
      return put(to_half(static_cast<float>(value)));
    case DType::kBF16:
      return put(to_bfloat16(static_cast<float>(value)));
    case DType::kI32:
      return put(static_cast<std::int32_t>(value));
    case DType::kI64:
      return put(static_cast<std::int64_t>(value));
    case DType::kU8:
      return put(static_cast<std::uint8_t>(static_cast<std::int64_t>(value)));
  }
}

double as_dtype(DType dtype, double value) {
  switch (dtype) {
    case DType::kF32:
      return static_cast<float>(value);
    case DType::kF64:
      return value;
    case DType::kF16:
      return to_float(to_half(static_cast<float>(value)));
    case DType::kBF16:
      return to_float(to_bfloat16(static_cast<float>(value)));
    case DType::kI32:
      return static_cast<std::int32_t>(value);
    case DType::kI64:
      return static_cast<double>(static_cast<std::int64_t>(value));
    case DType::kU8:
      return static_cast<std::uint8_t>(static_cast<std::int64_t>(value));
  }
  return value;
}

double input(ReduceOp op, int rank, std::size_t i) {
  if (op == ReduceOp::kProd) {
    return 1.0 + static_cast<double>((i + static_cast<std::size_t>(rank)) % 2);
  }
  return 1.0 + static_cast<double>((i + 3 * static_cast<std::size_t>(rank)) % 5);
}

double expected_reduction(DType dtype, ReduceOp op, int size, std::size_t i) {
  double acc = input(op, 0, i);
  for (int r = 1; r < size; ++r) {
    const double x = input(op, r, i);
    switch (op) {
      case ReduceOp::kSum:
      case ReduceOp::kAvg:
        acc += x;
        break;
      case ReduceOp::kProd:
        acc *= x;
        break;
      case ReduceOp::kMin:
        acc = std::min(acc, x);
        break;
      case ReduceOp::kMax:
        acc = std::max(acc, x);
        break;
    }
  }
  if (op != ReduceOp::kAvg) {
    return as_dtype(dtype, acc);
  }
  switch (dtype) {
    case DType::kF32:
      return static_cast<float>(acc) / static_cast<float>(size);
    case DType::kF64:
      return acc / size;
    case DType::kF16:
    case DType::kBF16:
      return as_dtype(dtype, static_cast<float>(acc) / static_cast<float>(size));
    default:
      return std::trunc(acc / size);
  }
}

std::function<double(std::size_t)> periodic(std::size_t period,
                                            const std::function<double(std::size_t)>& expected) {
  std::vector<double> table(period);
  for (std::size_t i = 0; i < period; ++i) {
    table[i] = expected(i);
  }
  return [table = std::move(table)](std::size_t i) { return table[i % table.size()]; };
}

std::int64_t first_mismatch(const Values& values, const std::function<double(std::size_t)>& expected,
                            std::size_t offset, std::size_t count) {
  const std::size_t end = count == SIZE_MAX ? values.count() : offset + count;
  for (std::size_t i = offset; i < end; ++i) {
    if (values.get(i) != expected(i)) {
      return static_cast<std::int64_t>(i);
    }
  }
  return -1;
}

}  // namespace tessera::comm::testing
