#pragma once

// The TCP store's wire format. A frame is a little-endian u32 byte length and
// that many bytes. A request frame is one op byte and its arguments; a reply
// frame is one status byte and its results. Arguments and results are
// strings, each a u32 length and its bytes; integers travel as decimal text.
//
//   op       arguments                    reply (status kOk)
//   kSet     key, value                   -
//   kGet     key, timeout_ms              value          (kTimeout if unset by then)
//   kWait    timeout_ms, key...           -              (kTimeout if not all set)
//   kAdd     key, delta                   new value
//   kCas     key, expected, desired       value afterwards
//   kRemove  key                          "1" or "0"
//   kPing    -                            -

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::comm::store_protocol {

enum Op : std::uint8_t { kSet = 1, kGet, kWait, kAdd, kCas, kRemove, kPing };
enum Status : std::uint8_t { kOk = 0, kTimeout = 1, kBadRequest = 2 };

// Frames larger than this are refused (a corrupt length, not a real value).
inline constexpr std::uint32_t kMaxFrame = 256U << 20;

// Appends a u32 length and `s`.
void put_string(std::string& out, std::string_view s);
// A frame's payload: a code byte and strings.
std::string encode(std::uint8_t code, const std::vector<std::string>& strings);
// Splits a payload into its code and strings; false if malformed.
bool decode(std::string_view payload, std::uint8_t& code, std::vector<std::string>& strings);
// The 4-byte length prefix of a payload.
std::string frame_header(std::size_t payload_size);
std::uint32_t read_u32(const unsigned char* p);

}  // namespace tessera::comm::store_protocol
