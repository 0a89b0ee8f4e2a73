#include "bench/bench_registry.h"

namespace tessera::bench {

void register_checkpoint_bench(BenchRegistry& registry);
void register_comm_bench(BenchRegistry& registry);
void register_data_bench(BenchRegistry& registry);
void register_layerwise_bench(BenchRegistry& registry);
void register_moe_bench(BenchRegistry& registry);
void register_locoprop_bench(BenchRegistry& registry);
void register_qec_bench(BenchRegistry& registry);
void register_statevector_bench(BenchRegistry& registry);
void register_train_bench(BenchRegistry& registry);

void register_benchmarks(BenchRegistry& registry) {
  register_checkpoint_bench(registry);
  register_comm_bench(registry);
  register_data_bench(registry);
  register_layerwise_bench(registry);
  register_moe_bench(registry);
  register_locoprop_bench(registry);
  register_qec_bench(registry);
  register_statevector_bench(registry);
  register_train_bench(registry);
}

}  // namespace tessera::bench
