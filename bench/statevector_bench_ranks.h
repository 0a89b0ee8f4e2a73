#pragma once

// The sections of `tessera bench statevector` that involve several ranks
// (statevector_bench_ranks.cc).

#include "bench/bench_registry.h"

namespace tessera::bench {

// One n-qubit ring state over every rank of this launch (run it under
// mpirun -np 2 / 4) against rank 0 alone; prints seconds per cycle and
// exchanges per cycle. Returns the exit code.
int statevector_distributed_section(BenchArgs& args, int qubits, int cycles, int repeats);

// A photons sweep (the decorated 24-site ring, 4 and 5 photons, 16 phases)
// run by `mpirun -np r tessera run` for r = 1, 2, 4 up to max_ranks: wall
// time and speedup over one rank. Returns the exit code.
int statevector_sweep_section(int max_ranks);

}  // namespace tessera::bench
