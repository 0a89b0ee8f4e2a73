#pragma once

// Decoded sample fields, without LibTorch: what the decoders produce and the
// batcher turns into tensors.
//
//   std::int64_t  cls, cls2, index, inx, id
//   std::string   txt, text (UTF-8 text, unchanged)
//   Json          json, jsn (a parsed nlohmann::json)
//   Array         npy (any numeric dtype, C order), images (uint8 HWC)
//   Bytes         anything else (the member's bytes, uncopied)

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tessera::datasets {

enum class DType : std::uint8_t {
  kBool,
  kInt8,
  kUInt8,
  kInt16,
  kUInt16,
  kInt32,
  kUInt32,
  kInt64,
  kUInt64,
  kFloat16,
  kFloat32,
  kFloat64,
  kComplex64,
  kComplex128,
};

std::size_t item_size(DType dtype);
// NumPy's name: "uint8", "float32", ...
std::string_view dtype_name(DType dtype);

// An n-dimensional array in C order, little-endian. `data` points into the
// sample's member bytes or into `owned` (decoded images, byte-swapped arrays);
// it stays valid as long as the Sample holding the value (moving the Sample
// keeps it valid).
struct Array {
  DType dtype = DType::kUInt8;
  std::vector<std::int64_t> shape;
  std::span<const std::byte> data;
  std::unique_ptr<std::byte[]> owned;

  std::int64_t elements() const;
};

struct Json {
  std::shared_ptr<const nlohmann::json> value;
};

// A member's bytes, uncopied (valid as long as the Sample).
struct Bytes {
  std::span<const std::byte> data;
  std::string_view text() const { return {reinterpret_cast<const char*>(data.data()), data.size()}; }
};

using Value = std::variant<std::monostate, std::int64_t, std::string, Json, Array, Bytes>;

}  // namespace tessera::datasets
