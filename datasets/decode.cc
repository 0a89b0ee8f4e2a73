#include "datasets/decode.h"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "datasets/image_decode.h"
#include "datasets/npy.h"
#include "runtime/error.h"

namespace tessera::datasets {

Decoder decoder_for(std::string_view ext) {
  const std::size_t dot = ext.rfind('.');
  std::string_view last = dot == std::string_view::npos ? ext : ext.substr(dot + 1);
  if (last == "cls" || last == "cls2" || last == "index" || last == "inx" || last == "id") {
    return Decoder::kInt;
  }
  if (last == "txt" || last == "text") {
    return Decoder::kText;
  }
  if (last == "json" || last == "jsn") {
    return Decoder::kJson;
  }
  if (last == "npy") {
    return Decoder::kNpy;
  }
  if (is_image_extension(last)) {
    return Decoder::kImage;
  }
  return Decoder::kBytes;
}

std::string_view decoder_name(Decoder decoder) {
  switch (decoder) {
    case Decoder::kInt: return "int";
    case Decoder::kText: return "text";
    case Decoder::kJson: return "json";
    case Decoder::kNpy: return "npy";
    case Decoder::kImage: return "image";
    case Decoder::kBytes: return "bytes";
  }
  return "?";
}

std::int64_t parse_int_field(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  const std::string_view original = text;
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.front() == '_' || text.back() == '_') {
    throw std::invalid_argument(fmt::format("'{}' is not an integer", original.substr(0, 40)));
  }
  constexpr std::uint64_t kLimit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
  std::uint64_t value = 0;
  char previous = '0';
  for (char c : text) {
    if (c == '_') {
      if (previous == '_') {
        throw std::invalid_argument(fmt::format("'{}' is not an integer", original.substr(0, 40)));
      }
    } else if (c >= '0' && c <= '9') {
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (value > (kLimit - digit) / 10) {
        throw std::invalid_argument(fmt::format("'{}' does not fit in int64", original.substr(0, 40)));
      }
    } else {
      throw std::invalid_argument(fmt::format("'{}' is not an integer", original.substr(0, 40)));
    }
    previous = c;
    if (c != '_') {
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
  }
  if (!negative && value == kLimit) {
    throw std::invalid_argument(fmt::format("'{}' does not fit in int64", original.substr(0, 40)));
  }
  return negative ? static_cast<std::int64_t>(~value + 1) : static_cast<std::int64_t>(value);
}

Value decode_bytes(Decoder decoder, std::string_view ext, std::span<const std::byte> bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  switch (decoder) {
    case Decoder::kInt:
      return parse_int_field(text);
    case Decoder::kText:
      return std::string(text);
    case Decoder::kJson:
      try {
        return Json{std::make_shared<const nlohmann::json>(nlohmann::json::parse(text))};
      } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(fmt::format("bad JSON: {}", e.what()));
      }
    case Decoder::kNpy:
      return decode_npy(bytes);
    case Decoder::kImage: {
      const std::size_t dot = ext.rfind('.');
      return decode_image(dot == std::string_view::npos ? ext : ext.substr(dot + 1), bytes);
    }
    case Decoder::kBytes:
      return Bytes{bytes};
  }
  return {};
}

Value decode_field(const Sample& sample, const SampleField& field) {
  try {
    return decode_bytes(decoder_for(field.ext), field.ext, field.bytes());
  } catch (const std::invalid_argument& e) {
    throw DataError(sample.url ? *sample.url : std::string(), sample.key + "." + field.ext,
                    sample.location.offset, fmt::format("cannot decode: {}", e.what()));
  } catch (const std::bad_alloc&) {
    throw DataError(sample.url ? *sample.url : std::string(), sample.key + "." + field.ext,
                    sample.location.offset, "cannot decode: out of memory");
  }
}

}  // namespace tessera::datasets
