#pragma once

// TarReader: a streaming, forward-only reader of tar archives.
//
// Understands ustar (with the 155-byte `prefix`), GNU long names and link
// names (typeflags L/K), PAX extended headers (x: next member only, g: all
// later members; `path`, `linkpath` and `size` are applied), base-256 numeric
// fields and old V7 headers. Every header's checksum is verified.
//
// Unlike Python's tarfile, an archive that ends early is an error, never a
// silent end: a partial header block, a member whose data or padding is cut
// off, or a physical end without the end-of-archive zero block all throw a
// DataError naming the shard URL, the member and the byte offset. A single
// zero block followed by the physical end is accepted (some writers stop
// there).
//
// Nothing is read past a buffer: every length in a header is checked against
// limits before it is used (fuzzed by tests/datasets/fuzz/tar_reader_fuzz.cc).
//
// Offsets are positions in the (decompressed) tar stream. A reader can start
// in the middle of an archive at a header boundary (resume), given the global
// PAX attributes in force there.
//
// Not thread-safe; one reader per shard.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "datasets/byte_source.h"

namespace tessera::datasets {

struct TarMember {
  std::string name;              // full path (PAX path, GNU long name, or prefix/name)
  std::string linkname;          // link target for links
  char type = '0';               // typeflag; '\0' (old regular files) reads as '0'
  std::uint64_t size = 0;        // data bytes that follow the header
  std::uint64_t header_offset = 0;  // start of this member's header chain (PAX/GNU headers included)
  std::uint64_t data_offset = 0;    // start of its data

  // Regular files ('0', '\0', contiguous '7') carry sample data; everything
  // else (directories, links, devices, fifos) is skipped by sample readers.
  bool is_regular() const { return type == '0' || type == '7'; }
};

class TarReader {
 public:
  // Reads from `source`, whose next byte is a header boundary at stream
  // offset source->offset(). `buffer_bytes` is the read buffer size.
  explicit TarReader(std::unique_ptr<ByteSource> source, std::size_t buffer_bytes = 1 << 20);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // Advances to the next member, skipping what is left of the current one's
  // data. Returns false at the end of the archive. Throws DataError.
  bool next(TarMember& member);

  // Reads the next dst.size() bytes of the current member's data
  // (dst.size() <= what is left of it). Throws DataError if the data is cut off.
  void read_data(std::span<std::byte> dst);

  // After next() returned false: lets the source drain and report a failure
  // of its producer (see ByteSource::finish). Throws DataError.
  void finish();

  // The stream offset of the next unread byte.
  std::uint64_t offset() const { return stream_offset_ + pos_; }
  // After next() returned false: where the end-of-archive marker starts (a
  // reader opened there ends at once).
  std::uint64_t end_offset() const { return end_offset_; }
  const std::string& url() const { return source_->url(); }

  // PAX global ('g') attributes in force; part of a resume position.
  const std::map<std::string, std::string>& global_attributes() const { return globals_; }
  void set_global_attributes(std::map<std::string, std::string> attributes) {
    globals_ = std::move(attributes);
  }

  // Limits on metadata sizes (long names and PAX records), bytes.
  static constexpr std::uint64_t kMaxMetadataBytes = 1 << 20;

 private:
  // Points `block` at the next 512 bytes. Returns false at a clean end of
  // the stream (no byte left); throws on a partial block.
  bool next_block(const std::byte*& block, const std::string& member);
  // Reads `n` bytes of metadata (PAX records, long names) into `out`.
  void read_metadata(std::uint64_t n, std::string& out, const std::string& member);
  void skip(std::uint64_t n, const std::string& member);
  // Makes at least min(want, what the source has) bytes available at pos_.
  std::size_t fill(std::size_t want);
  [[noreturn]] void fail(const std::string& member, std::uint64_t offset, const std::string& what) const;

  std::unique_ptr<ByteSource> source_;
  std::unique_ptr<std::byte[]> buffer_;
  std::size_t capacity_;
  std::size_t pos_ = 0;               // next unread byte in buffer_
  std::size_t end_ = 0;               // end of valid bytes in buffer_
  std::uint64_t stream_offset_;       // stream offset of buffer_[0]
  bool source_done_ = false;
  std::uint64_t data_left_ = 0;       // unread data bytes of the current member
  std::uint64_t padding_left_ = 0;    // padding after them
  std::string current_;               // the current member's name (for errors)
  bool ended_ = false;
  std::uint64_t end_offset_ = 0;
  std::map<std::string, std::string> globals_;
  std::string scratch_;
};

// Parses a tar numeric field (octal text, or GNU base-256 when the first byte
// has its high bit set). Returns false if malformed or out of range.
bool parse_tar_number(std::span<const std::byte> field, std::uint64_t& value);

}  // namespace tessera::datasets
