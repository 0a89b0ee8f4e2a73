#pragma once

// Helpers for communicator tests: typed buffers filled from small integers
// (exact in every dtype, so results compare bitwise), and the expected
// result of a reduction computed independently of any backend.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "comm/buffer.h"
#include "comm/options.h"

namespace tessera::comm::testing {

// `count` elements of `dtype` in CPU memory.
class Values {
 public:
  Values(DType dtype, std::size_t count);
  Values(DType dtype, std::size_t count, const std::function<double(std::size_t)>& fill);

  DType dtype() const { return dtype_; }
  std::size_t count() const { return count_; }
  Buffer buffer() { return {bytes_.empty() ? nullptr : bytes_.data(), count_, dtype_, Device::cpu()}; }
  Buffer slice(std::size_t offset, std::size_t n) { return buffer().slice(offset, n); }
  double get(std::size_t i) const;
  void set(std::size_t i, double value);

 private:
  DType dtype_;
  std::size_t count_;
  std::vector<std::byte> bytes_;
};

// `value` as stored in `dtype` (rounded to f16/bf16, wrapped to u8, ...).
double as_dtype(DType dtype, double value);

// The input element i of `rank` for reduce op `op`: small positive integers,
// {1, 2} for products so that products stay exact.
double input(ReduceOp op, int rank, std::size_t i);

// op over ranks 0..size-1 of input(op, r, i), in dtype arithmetic (avg: the
// exact sum divided by size as the dtype divides).
double expected_reduction(DType dtype, ReduceOp op, int size, std::size_t i);

// expected(i) for an `expected` that repeats every `period` elements,
// computed once per residue (the reduction inputs repeat every 10).
std::function<double(std::size_t)> periodic(std::size_t period,
                                            const std::function<double(std::size_t)>& expected);
inline constexpr std::size_t kInputPeriod = 10;

// First index where `values` differs from expected(i), or -1. Keeps failure
// output to one line for million-element buffers.
std::int64_t first_mismatch(const Values& values, const std::function<double(std::size_t)>& expected,
                            std::size_t offset = 0, std::size_t count = SIZE_MAX);

}  // namespace tessera::comm::testing
