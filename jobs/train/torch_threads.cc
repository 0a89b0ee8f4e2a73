#include "jobs/train/torch_threads.h"

#include <dlfcn.h>

#include <ATen/Parallel.h>

namespace tessera::jobs::train {

void set_torch_threads(int threads) {
  at::set_num_threads(threads);
  // Found at run time: the BLAS behind libblas.so.3 is a system choice
  // (update-alternatives), and only OpenBLAS has this function.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(threads);
  }
}

}  // namespace tessera::jobs::train
