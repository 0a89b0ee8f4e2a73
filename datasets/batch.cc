#include "datasets/batch.h"

#include <cstring>
#include <limits>
#include <variant>

#include <ATen/ops/empty.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace tessera::datasets {
namespace {

at::ScalarType tensor_type(DType d) {
  switch (d) {
    case DType::kBool: return at::kBool;
    case DType::kInt8: return at::kChar;
    case DType::kUInt8: return at::kByte;
    case DType::kInt16: return at::kShort;
    case DType::kUInt16: return at::kInt;
    case DType::kInt32: return at::kInt;
    case DType::kUInt32: return at::kLong;
    case DType::kInt64: return at::kLong;
    case DType::kUInt64: return at::kLong;
    case DType::kFloat16: return at::kHalf;
    case DType::kFloat32: return at::kFloat;
    case DType::kFloat64: return at::kDouble;
    case DType::kComplex64: return at::kComplexFloat;
    case DType::kComplex128: return at::kComplexDouble;
  }
  return at::kByte;
}

template <class From, class To>
bool widen(const std::byte* src, std::byte* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    From v;
    std::memcpy(&v, src + i * sizeof(From), sizeof(From));
    if constexpr (std::is_same_v<From, std::uint64_t>) {
      if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return false;
      }
    }
    const To w = static_cast<To>(v);
    std::memcpy(dst + i * sizeof(To), &w, sizeof(To));
  }
  return true;
}

// Copies `a` into `dst` (of a's tensor type). False if a value does not fit.
bool copy_array(const Array& a, std::byte* dst) {
  const auto n = static_cast<std::size_t>(a.elements());
  switch (a.dtype) {
    case DType::kUInt16: return widen<std::uint16_t, std::int32_t>(a.data.data(), dst, n);
    case DType::kUInt32: return widen<std::uint32_t, std::int64_t>(a.data.data(), dst, n);
    case DType::kUInt64: return widen<std::uint64_t, std::int64_t>(a.data.data(), dst, n);
    default: std::memcpy(dst, a.data.data(), a.data.size()); return true;
  }
}

std::string_view kind_name(const Value& v) {
  switch (v.index()) {
    case 0: return "nothing";
    case 1: return "an integer";
    case 2: return "text";
    case 3: return "JSON";
    case 4: return "an array";
    default: return "bytes";
  }
}

[[noreturn]] void mismatch(const Sample& s, const FieldSpec& spec, const std::string& what) {
  throw DataError(s.url ? *s.url : std::string(), s.key, s.location.offset,
                  fmt::format("cannot batch output '{}': {}", spec.name, what));
}

}  // namespace

at::Tensor to_tensor(const Array& array) {
  at::Tensor t = at::empty(array.shape, at::TensorOptions().dtype(tensor_type(array.dtype)));
  if (!copy_array(array, static_cast<std::byte*>(t.data_ptr()))) {
    throw std::invalid_argument("a uint64 value does not fit in int64");
  }
  return t;
}

Batch collate(const std::vector<FieldSpec>& outputs, const std::vector<Sample>& samples) {
  Batch batch;
  const auto n = static_cast<std::int64_t>(samples.size());
  batch.keys.reserve(samples.size());
  batch.urls.reserve(samples.size());
  for (const Sample& s : samples) {
    batch.keys.push_back(s.key);
    batch.urls.push_back(s.url);
  }
  if (samples.empty()) {
    return batch;
  }
  for (std::size_t f = 0; f < outputs.size(); ++f) {
    const FieldSpec& spec = outputs[f];
    for (const Sample& s : samples) {
      TESSERA_CHECK(s.values.size() == outputs.size(), "sample {} has {} decoded values for {} outputs", s.key,
                    s.values.size(), outputs.size());
    }
    const Value& first = samples.front().values[f];
    for (const Sample& s : samples) {
      if (s.values[f].index() != first.index()) {
        mismatch(s, spec, fmt::format("it is {} here but {} in sample '{}' of the same batch",
                                      kind_name(s.values[f]), kind_name(first), samples.front().key));
      }
    }
    if (std::holds_alternative<std::int64_t>(first)) {
      at::Tensor t = at::empty({n}, at::TensorOptions().dtype(at::kLong));
      auto* out = t.data_ptr<std::int64_t>();
      for (std::size_t i = 0; i < samples.size(); ++i) {
        out[i] = std::get<std::int64_t>(samples[i].values[f]);
      }
      batch.tensors.emplace(spec.name, std::move(t));
    } else if (const auto* a0 = std::get_if<Array>(&first)) {
      std::vector<std::int64_t> shape{n};
      shape.insert(shape.end(), a0->shape.begin(), a0->shape.end());
      const at::ScalarType type = tensor_type(a0->dtype);
      at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
      const std::size_t stride = static_cast<std::size_t>(a0->elements()) * at::elementSize(type);
      auto* out = static_cast<std::byte*>(t.data_ptr());
      for (std::size_t i = 0; i < samples.size(); ++i) {
        const Array& a = std::get<Array>(samples[i].values[f]);
        if (a.dtype != a0->dtype || a.shape != a0->shape) {
          mismatch(samples[i], spec,
                   fmt::format("{} {} here but {} {} in sample '{}' of the same batch", dtype_name(a.dtype),
                               a.shape, dtype_name(a0->dtype), a0->shape, samples.front().key));
        }
        if (!copy_array(a, out + i * stride)) {
          mismatch(samples[i], spec, "a uint64 value does not fit in int64");
        }
      }
      batch.tensors.emplace(spec.name, std::move(t));
    } else if (std::holds_alternative<Json>(first)) {
      auto& list = batch.json[spec.name];
      for (const Sample& s : samples) {
        list.push_back(std::get<Json>(s.values[f]));
      }
    } else {
      auto& list = batch.texts[spec.name];
      for (const Sample& s : samples) {
        if (const auto* text = std::get_if<std::string>(&s.values[f])) {
          list.push_back(*text);
        } else if (const auto* bytes = std::get_if<Bytes>(&s.values[f])) {
          list.emplace_back(bytes->text());
        } else {
          list.emplace_back();
        }
      }
    }
  }
  return batch;
}

}  // namespace tessera::datasets
