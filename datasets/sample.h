#pragma once

// Sample: one WebDataset sample — the run of adjacent tar members sharing a
// key, e.g. n0123.jpg + n0123.cls — with where it came from.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/value.h"

namespace tessera::datasets {

struct SampleField {
  std::string ext;                     // extension, lowercased unless case-sensitive ("seg.json")
  std::unique_ptr<std::byte[]> data;   // the member's bytes (null when only headers were read)
  std::size_t size = 0;                // member size in bytes

  std::span<const std::byte> bytes() const { return {data.get(), data ? size : 0}; }
};

// Enough to find the sample again: shard, where its first header starts in
// the (decompressed) tar stream, and its index among the shard's samples.
struct SampleLocation {
  std::uint32_t shard = 0;     // index in the stream's shard list
  std::uint64_t offset = 0;    // byte offset of its first header
  std::uint64_t ordinal = 0;   // 0-based index among the shard's samples

  template <class Archive>
  void serialize(Archive& ar) {
    ar(shard, offset, ordinal);
  }
};

struct Sample {
  std::string key;                        // __key__
  std::shared_ptr<const std::string> url; // __url__: the shard URL as listed
  std::vector<SampleField> fields;        // in archive order
  SampleLocation location;
  std::vector<Value> values;              // decoded outputs, in the order of the stream's `fields`

  // The field with extension `ext`, or nullptr.
  const SampleField* find(std::string_view ext) const {
    for (const SampleField& f : fields) {
      if (f.ext == ext) {
        return &f;
      }
    }
    return nullptr;
  }

  // Payload bytes of all fields.
  std::size_t bytes() const {
    std::size_t n = 0;
    for (const SampleField& f : fields) {
      n += f.size;
    }
    return n;
  }
};

}  // namespace tessera::datasets
