// The state-vector kernels for AVX2 + FMA (x86-64-v3), chosen at run time.
#define TESSERA_SV_ISA avx2
#define TESSERA_SV_ISA_NAME "avx2"
#include "jobs/quantum/state_vector_kernels_impl.h"

namespace tessera::jobs::quantum::kernels {

const KernelTable* avx2_kernels() { return &avx2::table(); }

}  // namespace tessera::jobs::quantum::kernels
