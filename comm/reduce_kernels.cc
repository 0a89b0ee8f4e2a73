#include "comm/reduce_kernels.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace tessera::comm {
namespace {

// Integer arithmetic that wraps instead of overflowing (no undefined behaviour).
template <class T>
T wrap_add(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
}
template <class T>
T wrap_mul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  if constexpr (sizeof(T) < sizeof(unsigned)) {
    return static_cast<T>(static_cast<unsigned>(static_cast<U>(a)) * static_cast<U>(b));
  } else {
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  }
}

template <class T, class F>
void apply(void* acc, const void* in, std::size_t count, F f) {
  T* a = static_cast<T*>(acc);
  const T* b = static_cast<const T*>(in);
  for (std::size_t i = 0; i < count; ++i) {
    a[i] = f(a[i], b[i]);
  }
}

template <class T>
void reduce_native(ReduceOp op, void* acc, const void* in, std::size_t count) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAvg:
      if constexpr (std::is_integral_v<T>) {
        apply<T>(acc, in, count, wrap_add<T>);
      } else {
        apply<T>(acc, in, count, [](T a, T b) { return a + b; });
      }
      return;
    case ReduceOp::kProd:
      if constexpr (std::is_integral_v<T>) {
        apply<T>(acc, in, count, wrap_mul<T>);
      } else {
        apply<T>(acc, in, count, [](T a, T b) { return a * b; });
      }
      return;
    case ReduceOp::kMin:
      apply<T>(acc, in, count, [](T a, T b) { return std::min(a, b); });
      return;
    case ReduceOp::kMax:
      apply<T>(acc, in, count, [](T a, T b) { return std::max(a, b); });
      return;
  }
}

// 16-bit floats: through float, rounding back after the step.
template <class H, H (*kFromFloat)(float)>
void reduce_16(ReduceOp op, void* acc, const void* in, std::size_t count) {
  auto through_float = [&](auto f) {
    apply<H>(acc, in, count, [f](H a, H b) { return kFromFloat(f(to_float(a), to_float(b))); });
  };
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAvg:
      through_float([](float a, float b) { return a + b; });
      return;
    case ReduceOp::kProd:
      through_float([](float a, float b) { return a * b; });
      return;
    case ReduceOp::kMin:
      through_float([](float a, float b) { return std::min(a, b); });
      return;
    case ReduceOp::kMax:
      through_float([](float a, float b) { return std::max(a, b); });
      return;
  }
}

template <class T>
void divide_native(void* data, std::size_t count, int divisor) {
  T* d = static_cast<T*>(data);
  const T by = static_cast<T>(divisor);
  for (std::size_t i = 0; i < count; ++i) {
    d[i] = static_cast<T>(d[i] / by);
  }
}

template <class H, H (*kFromFloat)(float)>
void divide_16(void* data, std::size_t count, int divisor) {
  H* d = static_cast<H*>(data);
  const auto by = static_cast<float>(divisor);
  for (std::size_t i = 0; i < count; ++i) {
    d[i] = kFromFloat(to_float(d[i]) / by);
  }
}

}  // namespace

void reduce_into(DType dtype, ReduceOp op, void* acc, const void* in, std::size_t count) {
  switch (dtype) {
    case DType::kF32:
      return reduce_native<float>(op, acc, in, count);
    case DType::kF64:
      return reduce_native<double>(op, acc, in, count);
    case DType::kF16:
      return reduce_16<Half, to_half>(op, acc, in, count);
    case DType::kBF16:
      return reduce_16<BFloat16, to_bfloat16>(op, acc, in, count);
    case DType::kI32:
      return reduce_native<std::int32_t>(op, acc, in, count);
    case DType::kI64:
      return reduce_native<std::int64_t>(op, acc, in, count);
    case DType::kU8:
      return reduce_native<std::uint8_t>(op, acc, in, count);
  }
}

void divide_by(DType dtype, void* data, std::size_t count, int divisor) {
  switch (dtype) {
    case DType::kF32:
      return divide_native<float>(data, count, divisor);
    case DType::kF64:
      return divide_native<double>(data, count, divisor);
    case DType::kF16:
      return divide_16<Half, to_half>(data, count, divisor);
    case DType::kBF16:
      return divide_16<BFloat16, to_bfloat16>(data, count, divisor);
    case DType::kI32:
      return divide_native<std::int32_t>(data, count, divisor);
    case DType::kI64:
      return divide_native<std::int64_t>(data, count, divisor);
    case DType::kU8:
      return divide_native<std::uint8_t>(data, count, divisor);
  }
}

}  // namespace tessera::comm
