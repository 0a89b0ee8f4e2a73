#pragma once

// Splitting a loop over threads (internal to jobs/quantum). OpenMP, because
// the simulators' threads live only for one pass and OpenMP keeps its pool.

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace tessera::jobs::quantum {

// Below this many items a loop runs on the calling thread: waking a team
// costs more than the work.
inline constexpr std::uint64_t kMinItemsPerThread = std::uint64_t{1} << 14;

// The number of threads a loop over `items` items uses.
inline int threads_for(int threads, std::uint64_t items) {
  const std::uint64_t useful = std::max<std::uint64_t>(1, items / kMinItemsPerThread);
  return static_cast<int>(std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max(threads, 1)), useful));
}

// Calls fn(begin, end, thread) on `team` threads, each with a contiguous
// share of [0, items). fn must not throw.
template <class Fn>
void parallel_ranges(int team, std::uint64_t items, Fn&& fn) {
  if (team <= 1) {
    fn(std::uint64_t{0}, items, 0);
    return;
  }
#pragma omp parallel num_threads(team)
  {
    const auto t = static_cast<std::uint64_t>(omp_get_thread_num());
    const auto n = static_cast<std::uint64_t>(omp_get_num_threads());
    fn(items * t / n, items * (t + 1) / n, static_cast<int>(t));
  }
}

}  // namespace tessera::jobs::quantum
