#pragma once

// ShardReader: groups the members of one tar shard into samples, following
// the WebDataset conventions of the Python library:
//
//  - Key and extension: the key is the member path up to the first '.' after
//    the last '/', the extension everything after it ("a/b.seg.json" -> key
//    "a/b", ext "seg.json"). Extensions are lowercased (unless
//    case_sensitive); keys keep their case. See split_member_name().
//  - A sample is a maximal run of adjacent members with the same key, and
//    never spans shards.
//  - Skipped silently: members that are not regular files (directories,
//    links, devices), members without a dot in their basename, and metadata
//    members matching ^__[^/]*__($|/).
//  - A repeated extension within one sample is an error; with `strict`, so is
//    a key that reappears after other keys (the Python library would silently
//    make two samples of it).
//
// Errors are DataErrors (URL, member, offset). After one, broken() tells
// whether the reader can go on: false when only that sample was bad (it has
// been consumed), true when the archive itself is unreadable from there.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "datasets/byte_source.h"
#include "datasets/sample.h"
#include "datasets/tar_reader.h"

namespace tessera::datasets {

struct ShardReaderOptions {
  bool case_sensitive = false;                 // keep the extensions' case (DALI's default)
  bool strict = false;                         // reject keys that reappear non-adjacently
  std::uint64_t max_member_bytes = 1ULL << 32; // larger members are errors (corrupt headers)
};

// Where the next sample of a shard starts: enough to reopen the shard there.
struct ShardPosition {
  std::uint64_t offset = 0;    // byte offset of its first header
  std::uint64_t ordinal = 0;   // its index among the shard's samples
  std::map<std::string, std::string> pax_globals;  // PAX 'g' attributes in force

  template <class Archive>
  void serialize(Archive& ar) {
    ar(offset, ordinal, pax_globals);
  }
};

// Splits a member name into key and extension by the rule above. Returns
// false when the name has no usable key (no dot in the basename, a basename
// that starts with a dot at the top level, ...), matching Python's
// `^((?:.*/|)[^.]+)[.]([^/]*)$`.
bool split_member_name(std::string_view name, std::string_view& key, std::string_view& ext);

// True for WebDataset metadata members (^__[^/]*__($|/)), which are skipped.
bool is_metadata_member(std::string_view name);

class ShardReader {
 public:
  // Reads samples from `source` (positioned at `start.offset`, as
  // open_shard() does; open_shard_reader() does both). `url` and `shard` are
  // recorded in every sample.
  ShardReader(std::unique_ptr<ByteSource> source,
              std::shared_ptr<const std::string> url,
              std::uint32_t shard,
              ShardReaderOptions options,
              ShardPosition start = {},
              std::size_t buffer_bytes = 256 << 10);

  // Reads the next sample into `sample` (replacing its contents). With
  // `with_data` false, member data is skipped (seeked over for files) and the
  // fields carry sizes only. Returns false at the end of the shard.
  bool next(Sample& sample, bool with_data = true);

  // After next() returned false: checks the producer finished cleanly (a
  // pipe: command's exit status). Throws DataError.
  void finish();

  // Where the next sample starts.
  ShardPosition position() const;
  bool broken() const { return broken_; }
  const std::string& url() const { return *url_; }

 private:
  bool advance();  // reads headers up to the next sample member; false at the end

  TarReader tar_;
  std::shared_ptr<const std::string> url_;
  std::uint32_t shard_;
  ShardReaderOptions options_;
  TarMember member_;        // the pending member (header read, data not yet)
  std::string member_key_;
  std::string member_ext_;
  bool pending_ = false;
  bool done_ = false;
  bool broken_ = false;
  std::uint64_t next_offset_;
  std::uint64_t ordinal_;
  std::unordered_set<std::string> seen_;  // keys seen so far (strict only)
};

}  // namespace tessera::datasets
