#include "bench/bench_registry.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::bench {

void BenchRegistry::add(Benchmark benchmark) {
  if (find(benchmark.name) != nullptr) {
    throw InternalError(fmt::format("benchmark '{}' registered twice", benchmark.name));
  }
  benchmarks_.push_back(std::move(benchmark));
}

const Benchmark* BenchRegistry::find(std::string_view name) const {
  for (const Benchmark& b : benchmarks_) {
    if (b.name == name) {
      return &b;
    }
  }
  return nullptr;
}

std::vector<const Benchmark*> BenchRegistry::all() const {
  std::vector<const Benchmark*> out;
  for (const Benchmark& b : benchmarks_) {
    out.push_back(&b);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

}  // namespace tessera::bench
