#pragma once

// Decoding sample fields by extension (the last component: "seg.json" is
// JSON), as webdataset's default decoders do:
//
//   cls cls2 index inx id   -> std::int64_t (ASCII integer; surrounding
//                              whitespace, a sign and '_' between digits, as
//                              Python's int())
//   txt text                -> std::string (UTF-8, unchanged)
//   json jsn                -> Json
//   npy                     -> Array (numeric dtypes, C order)
//   png jpg jpeg pgm ppm pnm-> Array, uint8 [H, W, C]
//   anything else           -> Bytes (the member, uncopied)
//
// Decoding is a pure function of the bytes, so it runs on reader threads.

#include <span>
#include <string_view>

#include "datasets/sample.h"
#include "datasets/value.h"

namespace tessera::datasets {

enum class Decoder { kInt, kText, kJson, kNpy, kImage, kBytes };

Decoder decoder_for(std::string_view ext);
std::string_view decoder_name(Decoder decoder);

// Decodes `bytes` with `decoder`. Throws std::invalid_argument saying what is wrong.
Value decode_bytes(Decoder decoder, std::string_view ext, std::span<const std::byte> bytes);

// Decodes one field of `sample`; errors are DataErrors naming the sample's
// shard URL, member (key.ext) and offset.
Value decode_field(const Sample& sample, const SampleField& field);

// Python int() of an ASCII integer. Throws std::invalid_argument.
std::int64_t parse_int_field(std::string_view text);

}  // namespace tessera::datasets
