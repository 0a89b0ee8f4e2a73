#include "jobs/sweep/task_result.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace tessera::jobs::sweep {

Counts& Counts::operator+=(const Counts& other) {
  shots += other.shots;
  errors += other.errors;
  discards += other.discards;
  seconds += other.seconds;
  for (const auto& [key, value] : other.custom) {
    custom[key] += value;
  }
  return *this;
}

NumericArray& NumericArray::operator+=(const NumericArray& other) {
  if (values.empty() && shape.empty()) {
    *this = other;
    return *this;
  }
  if (shape != other.shape || values.size() != other.values.size()) {
    throw InternalError(fmt::format("sweep arrays of shapes [{}] and [{}] cannot be added",
                                    fmt::join(shape, ", "), fmt::join(other.shape, ", ")));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] += other.values[i];
  }
  return *this;
}

ChunkResult& ChunkResult::operator+=(const ChunkResult& other) {
  counts += other.counts;
  for (const auto& [name, array] : other.arrays) {
    arrays[name] += array;
  }
  return *this;
}

}  // namespace tessera::jobs::sweep
