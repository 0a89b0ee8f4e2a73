#pragma once

// The NumPy .npy format (versions 1-3): magic "\x93NUMPY", a version, a
// header length, a Python dict literal {'descr': '<u1', 'fortran_order':
// False, 'shape': (28, 28), } padded so the data starts 64-byte aligned, then
// the data. Every numeric dtype is read (b1 i1 i2 i4 i8 u1 u2 u4 u8 f2 f4 f8
// c8 c16, either byte order, C order); object, string and datetime dtypes
// and Fortran order are errors.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "datasets/value.h"

namespace tessera::datasets {

// Parses an .npy file. The array's data points into `bytes` (or into its own
// buffer for big-endian data, which is swapped). Throws std::invalid_argument
// saying what is wrong.
Array decode_npy(std::span<const std::byte> bytes);

// An .npy file (version 1.0, little-endian) holding `data`, which must be
// elements(shape) * item_size(dtype) bytes.
std::string encode_npy(DType dtype, const std::vector<std::int64_t>& shape, std::span<const std::byte> data);

}  // namespace tessera::datasets
