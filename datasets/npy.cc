#include "datasets/npy.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

namespace tessera::datasets {
namespace {

struct Descr {
  DType dtype;
  bool big_endian;
};

Descr parse_descr(std::string_view d) {
  bool big = false;
  if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) {
    big = d[0] == '>';
    d.remove_prefix(1);
  }
  static constexpr std::pair<std::string_view, DType> kTable[] = {
      {"b1", DType::kBool},    {"i1", DType::kInt8},     {"u1", DType::kUInt8},      {"i2", DType::kInt16},
      {"u2", DType::kUInt16},  {"i4", DType::kInt32},    {"u4", DType::kUInt32},     {"i8", DType::kInt64},
      {"u8", DType::kUInt64},  {"f2", DType::kFloat16},  {"f4", DType::kFloat32},    {"f8", DType::kFloat64},
      {"c8", DType::kComplex64}, {"c16", DType::kComplex128}, {"?", DType::kBool}, {"b", DType::kInt8},
      {"B", DType::kUInt8},
  };
  for (const auto& [name, dtype] : kTable) {
    if (d == name) {
      return {dtype, big};
    }
  }
  throw std::invalid_argument(fmt::format("unsupported npy dtype '{}' (numeric dtypes only)", d));
}

// The text after `'key':` in the header dict, with spaces skipped.
std::string_view value_of(std::string_view header, std::string_view key) {
  for (char quote : {'\'', '"'}) {
    std::string pattern = fmt::format("{0}{1}{0}", quote, key);
    std::size_t at = header.find(pattern);
    if (at == std::string_view::npos) {
      continue;
    }
    std::size_t colon = header.find(':', at + pattern.size());
    if (colon == std::string_view::npos) {
      break;
    }
    std::string_view rest = header.substr(colon + 1);
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
    return rest;
  }
  throw std::invalid_argument(fmt::format("npy header has no '{}'", key));
}

struct ParsedHeader {
  DType dtype;
  bool big_endian;
  std::vector<std::int64_t> shape;
};

ParsedHeader parse_header(std::string_view header) {
  ParsedHeader out;
  std::string_view descr = value_of(header, "descr");
  if (descr.empty() || (descr[0] != '\'' && descr[0] != '"')) {
    throw std::invalid_argument("npy descr is not a string (structured dtypes are not supported)");
  }
  const std::size_t end = descr.find(descr[0], 1);
  if (end == std::string_view::npos) {
    throw std::invalid_argument("npy descr string is not closed");
  }
  Descr d = parse_descr(descr.substr(1, end - 1));
  out.dtype = d.dtype;
  out.big_endian = d.big_endian && item_size(d.dtype) > 1;
  std::string_view fortran = value_of(header, "fortran_order");
  if (fortran.starts_with("True")) {
    throw std::invalid_argument("npy array is in Fortran order (only C order is supported)");
  }
  if (!fortran.starts_with("False")) {
    throw std::invalid_argument("npy fortran_order is neither True nor False");
  }
  std::string_view shape = value_of(header, "shape");
  if (shape.empty() || shape[0] != '(') {
    throw std::invalid_argument("npy shape is not a tuple");
  }
  const std::size_t close = shape.find(')');
  if (close == std::string_view::npos) {
    throw std::invalid_argument("npy shape tuple is not closed");
  }
  std::string_view dims = shape.substr(1, close - 1);
  while (!dims.empty()) {
    dims.remove_prefix(std::min(dims.find_first_not_of(" ,"), dims.size()));
    if (dims.empty()) {
      break;
    }
    std::int64_t v = 0;
    std::size_t i = 0;
    while (i < dims.size() && dims[i] >= '0' && dims[i] <= '9') {
      if (v > (std::int64_t{1} << 50)) {
        throw std::invalid_argument("npy dimension too large");
      }
      v = v * 10 + (dims[i] - '0');
      ++i;
    }
    if (i == 0) {
      throw std::invalid_argument(fmt::format("npy shape has a non-integer '{}'", dims.substr(0, 20)));
    }
    if (i < dims.size() && dims[i] == 'L') {
      ++i;  // Python 2 long suffix
    }
    out.shape.push_back(v);
    dims.remove_prefix(i);
    if (out.shape.size() > 32) {
      throw std::invalid_argument("npy array has more than 32 dimensions");
    }
  }
  return out;
}

void byteswap_items(std::byte* data, std::size_t bytes, std::size_t unit) {
  for (std::size_t i = 0; i + unit <= bytes; i += unit) {
    std::reverse(data + i, data + i + unit);
  }
}

}  // namespace

std::size_t item_size(DType dtype) {
  switch (dtype) {
    case DType::kBool: case DType::kInt8: case DType::kUInt8: return 1;
    case DType::kInt16: case DType::kUInt16: case DType::kFloat16: return 2;
    case DType::kInt32: case DType::kUInt32: case DType::kFloat32: return 4;
    case DType::kInt64: case DType::kUInt64: case DType::kFloat64: case DType::kComplex64: return 8;
    case DType::kComplex128: return 16;
  }
  return 1;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kBool: return "bool";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kInt16: return "int16";
    case DType::kUInt16: return "uint16";
    case DType::kInt32: return "int32";
    case DType::kUInt32: return "uint32";
    case DType::kInt64: return "int64";
    case DType::kUInt64: return "uint64";
    case DType::kFloat16: return "float16";
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kComplex64: return "complex64";
    case DType::kComplex128: return "complex128";
  }
  return "?";
}

std::int64_t Array::elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    n *= d;
  }
  return n;
}

Array decode_npy(std::span<const std::byte> bytes) {
  static constexpr unsigned char kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    throw std::invalid_argument("not an npy file (bad magic)");
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      throw std::invalid_argument("truncated npy header");
    }
    for (int i = 3; i >= 0; --i) {
      header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + i]);
    }
    header_start = 12;
  } else {
    throw std::invalid_argument(fmt::format("unsupported npy version {}", major));
  }
  if (header_len > bytes.size() - header_start) {
    throw std::invalid_argument("truncated npy header");
  }
  std::string_view header(reinterpret_cast<const char*>(bytes.data()) + header_start, header_len);

  // Shards hold thousands of arrays with the same header: parse each once per thread.
  thread_local std::string last_header;
  thread_local ParsedHeader last_parsed;
  if (header != last_header) {
    last_parsed = parse_header(header);
    last_header.assign(header);
  }
  Array a;
  a.dtype = last_parsed.dtype;
  a.shape = last_parsed.shape;
  const std::size_t data_start = header_start + header_len;
  __extension__ using Uint128 = unsigned __int128;
  Uint128 need = item_size(a.dtype);
  for (std::int64_t d : a.shape) {
    need *= static_cast<std::uint64_t>(d);
    if (need > (static_cast<Uint128>(1) << 62)) {
      throw std::invalid_argument("npy array too large");
    }
  }
  if (bytes.size() - data_start != need) {
    throw std::invalid_argument(fmt::format("npy data is {} bytes, but shape and dtype need {}",
                                            bytes.size() - data_start, static_cast<std::uint64_t>(need)));
  }
  a.data = bytes.subspan(data_start);
  if (last_parsed.big_endian) {
    a.owned = std::make_unique_for_overwrite<std::byte[]>(a.data.size());
    std::memcpy(a.owned.get(), a.data.data(), a.data.size());
    const std::size_t unit = (a.dtype == DType::kComplex64 || a.dtype == DType::kComplex128) ? item_size(a.dtype) / 2
                                                                                             : item_size(a.dtype);
    byteswap_items(a.owned.get(), a.data.size(), unit);
    a.data = std::span<const std::byte>(a.owned.get(), a.data.size());
  }
  return a;
}

std::string encode_npy(DType dtype, const std::vector<std::int64_t>& shape, std::span<const std::byte> data) {
  static constexpr std::string_view kDescr[] = {"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4",
                                                "<i8", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"};
  std::string dims;
  for (std::int64_t d : shape) {
    dims += fmt::format("{}, ", d);
  }
  if (shape.size() > 1) {
    dims.resize(dims.size() - 2);  // (28, 28) but (5,) for one dimension
  } else if (shape.size() == 1) {
    dims.resize(dims.size() - 1);
  }
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}",
                                 kDescr[static_cast<int>(dtype)], dims);
  // Pad with spaces and a newline so the data starts at a multiple of 64.
  std::size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  out += dict;
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  return out;
}

}  // namespace tessera::datasets
