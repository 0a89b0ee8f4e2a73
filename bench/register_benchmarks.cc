#include "bench/bench_registry.h"

namespace tessera::bench {

void register_benchmarks(BenchRegistry& registry) {
  (void)registry;  // each benchmark adds its register_<name>_bench(registry) call here
}

}  // namespace tessera::bench
