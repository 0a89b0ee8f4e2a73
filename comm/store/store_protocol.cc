#include "comm/store/store_protocol.h"

namespace tessera::comm::store_protocol {

std::uint32_t read_u32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

std::string frame_header(std::size_t payload_size) {
  const auto n = static_cast<std::uint32_t>(payload_size);
  return {static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
          static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 24) & 0xff)};
}

void put_string(std::string& out, std::string_view s) {
  out += frame_header(s.size());
  out.append(s);
}

std::string encode(std::uint8_t code, const std::vector<std::string>& strings) {
  std::string out(1, static_cast<char>(code));
  for (const std::string& s : strings) {
    put_string(out, s);
  }
  return out;
}

bool decode(std::string_view payload, std::uint8_t& code, std::vector<std::string>& strings) {
  if (payload.empty()) {
    return false;
  }
  code = static_cast<std::uint8_t>(payload[0]);
  strings.clear();
  std::size_t at = 1;
  while (at < payload.size()) {
    if (payload.size() - at < 4) {
      return false;
    }
    const std::uint32_t n = read_u32(reinterpret_cast<const unsigned char*>(payload.data() + at));
    at += 4;
    if (payload.size() - at < n) {
      return false;
    }
    strings.emplace_back(payload.substr(at, n));
    at += n;
  }
  return true;
}

}  // namespace tessera::comm::store_protocol
