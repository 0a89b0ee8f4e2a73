#include "datasets/tar_reader.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::datasets {
namespace {

constexpr std::size_t kBlock = 512;

// Header field offsets and lengths (POSIX ustar).
constexpr std::size_t kNameOff = 0, kNameLen = 100;
constexpr std::size_t kSizeOff = 124, kSizeLen = 12;
constexpr std::size_t kChksumOff = 148, kChksumLen = 8;
constexpr std::size_t kTypeOff = 156;
constexpr std::size_t kLinkOff = 157, kLinkLen = 100;
constexpr std::size_t kMagicOff = 257;
constexpr std::size_t kPrefixOff = 345, kPrefixLen = 155;

std::uint64_t padding_of(std::uint64_t size) { return (kBlock - size % kBlock) % kBlock; }

bool is_zero_block(const std::byte* b) {
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < kBlock; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, b + i, 8);
    acc |= word;
  }
  return acc == 0;
}

// A NUL-terminated string field (the whole field when it has no NUL).
std::string_view field_text(const std::byte* b, std::size_t off, std::size_t len) {
  const char* p = reinterpret_cast<const char*>(b + off);
  const void* nul = std::memchr(p, 0, len);
  return {p, nul == nullptr ? len : static_cast<std::size_t>(static_cast<const char*>(nul) - p)};
}

// Data bytes that follow a header of this type. Links, directories, devices
// and fifos carry none whatever their size field says (as tarfile reads them).
bool type_has_data(char type) {
  switch (type) {
    case '1': case '2': case '3': case '4': case '5': case '6':
      return false;
    default:
      return true;
  }
}

bool parse_decimal(std::string_view text, std::uint64_t& value) {
  if (text.empty() || text.size() > 19) {
    return false;
  }
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 100)) {
    out += (c >= 32 && c < 127) ? c : '?';
  }
  return out;
}

}  // namespace

bool parse_tar_number(std::span<const std::byte> field, std::uint64_t& value) {
  if (field.empty()) {
    return false;
  }
  const auto first = static_cast<unsigned char>(field[0]);
  if ((first & 0x80U) != 0) {
    // GNU base-256: 0x80 marks a positive big-endian number in the remaining
    // bytes; 0xff a negative one (never valid here).
    if (first != 0x80U) {
      return false;
    }
    value = 0;
    for (std::size_t i = 1; i < field.size(); ++i) {
      if ((value >> 56) != 0) {
        return false;
      }
      value = (value << 8) | static_cast<unsigned char>(field[i]);
    }
    return true;
  }
  std::string_view text(reinterpret_cast<const char*>(field.data()), field.size());
  text = text.substr(0, text.find('\0'));
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '7' || (value >> 61) != 0) {
      return false;
    }
    value = (value << 3) | static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

TarReader::TarReader(std::unique_ptr<ByteSource> source, std::size_t buffer_bytes)
    : source_(std::move(source)),
      capacity_(std::max<std::size_t>(buffer_bytes, 16 * kBlock)),
      stream_offset_(source_->offset()) {
  buffer_ = std::make_unique_for_overwrite<std::byte[]>(capacity_);
}

TarReader::~TarReader() = default;

void TarReader::fail(const std::string& member, std::uint64_t offset, const std::string& what) const {
  throw DataError(source_->url(), member, offset, what);
}

std::size_t TarReader::fill(std::size_t want) {
  if (end_ - pos_ >= want) {
    return end_ - pos_;
  }
  if (pos_ + want > capacity_) {
    std::memmove(buffer_.get(), buffer_.get() + pos_, end_ - pos_);
    stream_offset_ += pos_;
    end_ -= pos_;
    pos_ = 0;
  }
  while (end_ - pos_ < want && !source_done_) {
    std::size_t n = source_->read(std::span(buffer_.get() + end_, capacity_ - end_));
    if (n == 0) {
      source_done_ = true;
    }
    end_ += n;
  }
  return end_ - pos_;
}

bool TarReader::next_block(const std::byte*& block, const std::string& member) {
  std::size_t have = fill(kBlock);
  if (have == 0) {
    return false;
  }
  if (have < kBlock) {
    fail("", offset(), fmt::format("truncated header: the shard ends {} bytes into a 512-byte block{}", have,
                                   member.empty() ? "" : " (after member " + member + ")"));
  }
  block = buffer_.get() + pos_;
  return true;
}

void TarReader::skip(std::uint64_t n, const std::string& member) {
  const std::uint64_t in_buffer = std::min<std::uint64_t>(n, end_ - pos_);
  pos_ += in_buffer;
  n -= in_buffer;
  if (n == 0) {
    return;
  }
  stream_offset_ += end_;
  pos_ = end_ = 0;
  const std::uint64_t skipped = source_done_ ? 0 : source_->skip(n);
  stream_offset_ += skipped;
  if (skipped < n) {
    source_done_ = true;
    fail(member, offset(), fmt::format("truncated member: the shard ends {} bytes before the end of its data", n - skipped));
  }
}

void TarReader::read_data(std::span<std::byte> dst) {
  TESSERA_CHECK(dst.size() <= data_left_, "read_data of {} bytes with {} left", dst.size(), data_left_);
  data_left_ -= dst.size();
  const std::size_t from_buffer = std::min(dst.size(), end_ - pos_);
  std::memcpy(dst.data(), buffer_.get() + pos_, from_buffer);
  pos_ += from_buffer;
  std::size_t done = from_buffer;
  while (done < dst.size()) {
    const std::size_t left = dst.size() - done;
    std::size_t n = 0;
    if (left >= capacity_ / 2) {
      // Large data goes straight from the source into dst: one copy, as cat.
      stream_offset_ += end_;
      pos_ = end_ = 0;
      n = source_done_ ? 0 : source_->read(dst.subspan(done));
      stream_offset_ += n;
    } else {
      n = std::min(fill(left), left);
      std::memcpy(dst.data() + done, buffer_.get() + pos_, n);
      pos_ += n;
    }
    if (n == 0) {
      source_done_ = true;
      fail(current_, offset(), fmt::format("truncated member: the shard ends {} bytes before the end of its data",
                                           left + data_left_));
    }
    done += n;
  }
}

void TarReader::read_metadata(std::uint64_t n, std::string& out, const std::string& member) {
  if (n > kMaxMetadataBytes) {
    fail(member, offset(), fmt::format("metadata header of {} bytes (limit {})", n, kMaxMetadataBytes));
  }
  out.resize(n);
  std::size_t done = 0;
  while (done < n) {
    std::size_t have = fill(std::min<std::size_t>(n - done, capacity_ / 2));
    if (have == 0) {
      fail(member, offset(), "truncated metadata header");
    }
    std::size_t take = std::min<std::size_t>(have, n - done);
    std::memcpy(out.data() + done, buffer_.get() + pos_, take);
    pos_ += take;
    done += take;
  }
  skip(padding_of(n), member);
}

namespace {

// Parses PAX records "LEN KEY=VALUE\n" into `attributes`. Returns "" or what is wrong.
std::string parse_pax(std::string_view data, std::map<std::string, std::string>& attributes) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::string_view rest = data.substr(pos);
    if (rest.find_first_not_of('\0') == std::string_view::npos) {
      break;  // NUL padding after the last record
    }
    std::size_t space = rest.find(' ');
    std::uint64_t len = 0;
    if (space == std::string_view::npos || !parse_decimal(rest.substr(0, space), len) || len <= space + 1 ||
        len > rest.size() || rest[len - 1] != '\n') {
      return fmt::format("malformed PAX record at byte {} of the extended header", pos);
    }
    std::string_view record = rest.substr(space + 1, len - space - 2);
    std::size_t eq = record.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return fmt::format("PAX record without key=value at byte {} of the extended header", pos);
    }
    attributes[std::string(record.substr(0, eq))] = std::string(record.substr(eq + 1));
    pos += len;
  }
  return {};
}

}  // namespace

bool TarReader::next(TarMember& member) {
  if (ended_) {
    return false;
  }
  skip(data_left_ + padding_left_, current_);
  data_left_ = padding_left_ = 0;

  bool have_long_name = false;
  bool have_long_link = false;
  bool have_pax = false;
  std::string long_name;
  std::string long_link;
  std::map<std::string, std::string> pax;
  const std::uint64_t header_offset = offset();
  for (;;) {
    const std::uint64_t block_offset = offset();
    const std::byte* b = nullptr;
    if (!next_block(b, current_)) {
      const std::string after = current_.empty() ? "" : " (after member " + current_ + ")";
      if (block_offset != header_offset) {
        fail("", block_offset, "the shard ends after an extended header, before its member" + after);
      }
      fail("", block_offset, "the shard ends without the end-of-archive marker (truncated at a block boundary)" + after);
    }
    if (is_zero_block(b)) {
      if (block_offset != header_offset) {
        fail(current_, block_offset, "end-of-archive marker right after an extended header");
      }
      end_offset_ = block_offset;
      pos_ += kBlock;
      // The second zero block is optional: a lone one at the physical end is
      // accepted, and data after a lone one is ignored (as GNU tar and tarfile do).
      const std::byte* b2 = nullptr;
      if (next_block(b2, current_) && is_zero_block(b2)) {
        pos_ += kBlock;
      }
      ended_ = true;
      return false;
    }
    // The header's own name, for error messages only.
    auto name_field = [b] { return printable(field_text(b, kNameOff, kNameLen)); };
    std::uint64_t stored = 0;
    if (!parse_tar_number(std::span(b + kChksumOff, kChksumLen), stored)) {
      fail(name_field(), block_offset, "unreadable header checksum field: not a tar header");
    }
    // The checksum treats its own field as spaces. Unsigned sum first (a
    // vectorisable loop); the signed sum of old writers only on a mismatch.
    std::uint64_t unsigned_sum = 8 * ' ';
    for (std::size_t i = 0; i < kBlock; ++i) {
      unsigned_sum += static_cast<unsigned char>(b[i]);
    }
    for (std::size_t i = kChksumOff; i < kChksumOff + kChksumLen; ++i) {
      unsigned_sum -= static_cast<unsigned char>(b[i]);
    }
    std::int64_t signed_sum = static_cast<std::int64_t>(unsigned_sum);
    if (stored != unsigned_sum) {
      signed_sum = 8 * ' ';
      for (std::size_t i = 0; i < kBlock; ++i) {
        if (i < kChksumOff || i >= kChksumOff + kChksumLen) {
          signed_sum += static_cast<signed char>(b[i]);
        }
      }
    }
    if (stored != unsigned_sum && static_cast<std::int64_t>(stored) != signed_sum) {
      fail(name_field(), block_offset,
           fmt::format("header checksum mismatch (stored {}, computed {}): corrupt shard or not a tar file",
                       stored, unsigned_sum));
    }
    std::uint64_t size = 0;
    if (!parse_tar_number(std::span(b + kSizeOff, kSizeLen), size) || size > (1ULL << 62)) {
      fail(name_field(), block_offset, "unreadable size field");
    }
    char type = static_cast<char>(b[kTypeOff]);
    if (type == '\0') {
      type = '0';
    }
    if (type == 'x' || type == 'g' || type == 'X') {
      pos_ += kBlock;
      read_metadata(size, scratch_, name_field());
      std::string problem = parse_pax(scratch_, type == 'g' ? globals_ : pax);
      if (!problem.empty()) {
        fail(name_field(), block_offset, problem);
      }
      have_pax = have_pax || type != 'g';
      continue;
    }
    if (type == 'L' || type == 'K') {
      pos_ += kBlock;
      std::string& target = type == 'L' ? long_name : long_link;
      read_metadata(size, target, name_field());
      target.resize(std::strlen(target.c_str()));  // the name ends at its first NUL
      (type == 'L' ? have_long_name : have_long_link) = true;
      continue;
    }

    // A member header: the name from PAX, else a GNU long name, else ustar.
    const std::string_view magic = field_text(b, kMagicOff, 6);
    member.type = type;
    if (have_long_name) {
      member.name = std::move(long_name);
    } else {
      const std::string_view name = field_text(b, kNameOff, kNameLen);
      const std::string_view prefix =
          magic == "ustar" ? field_text(b, kPrefixOff, kPrefixLen) : std::string_view();
      member.name.clear();
      if (!prefix.empty()) {
        member.name.append(prefix).append("/");
      }
      member.name.append(name);
    }
    if (have_long_link) {
      member.linkname = std::move(long_link);
    } else {
      member.linkname.assign(field_text(b, kLinkOff, kLinkLen));
    }
    if (have_pax) {
      std::map<std::string, std::string> merged = globals_;
      for (auto& [k, v] : pax) {
        merged[k] = v;
      }
      if (auto it = merged.find("path"); it != merged.end()) {
        member.name = it->second;
      }
      if (auto it = merged.find("linkpath"); it != merged.end()) {
        member.linkname = it->second;
      }
      if (auto it = merged.find("size"); it != merged.end()) {
        if (!parse_decimal(it->second, size) || size > (1ULL << 62)) {
          fail(member.name, block_offset, fmt::format("bad PAX size '{}'", printable(it->second)));
        }
      }
    }
    if (type == '0' && b[kTypeOff] == std::byte{0} && !member.name.empty() && member.name.back() == '/') {
      member.type = '5';  // old V7 convention for directories
    }
    pos_ += kBlock;
    member.size = type_has_data(member.type) ? size : 0;
    member.header_offset = header_offset;
    member.data_offset = offset();
    data_left_ = member.size;
    padding_left_ = padding_of(member.size);
    current_ = member.name;
    return true;
  }
}

void TarReader::finish() { source_->finish(); }

}  // namespace tessera::datasets
