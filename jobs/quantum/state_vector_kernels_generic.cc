// The state-vector kernels for the build's baseline instruction set, and the
// run-time choice among the compiled ones.
#define TESSERA_SV_ISA generic
#define TESSERA_SV_ISA_NAME "generic"
#include "jobs/quantum/state_vector_kernels_impl.h"

namespace tessera::jobs::quantum::kernels {

#if !TESSERA_SV_X86_KERNELS
const KernelTable* avx512_kernels() { return nullptr; }
const KernelTable* avx2_kernels() { return nullptr; }
#endif

const KernelTable& generic_kernels() { return generic::table(); }

const KernelTable& best_kernels() {
  static const KernelTable* const kBest = []() -> const KernelTable* {
#if TESSERA_SV_X86_KERNELS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4") && avx512_kernels() != nullptr) {
      return avx512_kernels();
    }
    if (__builtin_cpu_supports("x86-64-v3") && avx2_kernels() != nullptr) {
      return avx2_kernels();
    }
#endif
    return &generic_kernels();
  }();
  return *kBest;
}

}  // namespace tessera::jobs::quantum::kernels
