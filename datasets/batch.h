#pragma once

// Batch: samples collated into tensors, and the collation itself. Uses
// LibTorch (ATen); the rest of datasets/ does not.
//
// Each output named in the data config's `fields` becomes one entry:
//   int fields (cls ...)        -> tensors[name], int64 [B]
//   npy and image fields        -> tensors[name], [B, ...shape], stacked; every
//                                  sample must have the same dtype and shape
//                                  (else a DataError naming the sample)
//   text and raw-bytes fields   -> texts[name], B strings
//   json fields                 -> json[name], B values
// uint16/uint32/uint64 arrays widen to int32/int64/int64 (LibTorch has no
// unsigned types beyond uint8); a uint64 value over INT64_MAX is a DataError.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "datasets/data_config.h"
#include "datasets/sample.h"

namespace tessera::datasets {

struct Batch {
  std::int64_t epoch = 0;      // the epoch it belongs to
  std::int64_t index = 0;      // its index within the epoch (0, 1, ...)
  std::vector<std::string> keys;   // __key__ of each sample
  std::vector<std::shared_ptr<const std::string>> urls;   // __url__ of each sample
  std::map<std::string, at::Tensor, std::less<>> tensors;
  std::map<std::string, std::vector<std::string>, std::less<>> texts;
  std::map<std::string, std::vector<Json>, std::less<>> json;

  std::int64_t size() const { return static_cast<std::int64_t>(keys.size()); }
};

// Collates `samples` (decoded per `outputs`, values in that order) into a batch.
Batch collate(const std::vector<FieldSpec>& outputs, const std::vector<Sample>& samples);

// A tensor holding a copy of `array` (widened as above).
at::Tensor to_tensor(const Array& array);

}  // namespace tessera::datasets
