// The state-vector kernels for AVX-512 (x86-64-v4), chosen at run time.
#define TESSERA_SV_ISA avx512
#define TESSERA_SV_ISA_NAME "avx512"
#include "jobs/quantum/state_vector_kernels_impl.h"

namespace tessera::jobs::quantum::kernels {

const KernelTable* avx512_kernels() { return &avx512::table(); }

}  // namespace tessera::jobs::quantum::kernels
