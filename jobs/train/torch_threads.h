#pragma once

// set_torch_threads: LibTorch's intra-op threads and the BLAS underneath.
//
// at::set_num_threads() does not reach OpenBLAS (Debian's LibTorch calls it
// through libblas.so.3), which otherwise starts one thread per core in every
// rank: with 2 ranks on 2 cores that oversubscribes the machine and makes
// each step several times slower. So both are set.

namespace tessera::jobs::train {

// Sets LibTorch's intra-op threads and, when the BLAS is OpenBLAS, its threads.
void set_torch_threads(int threads);

}  // namespace tessera::jobs::train
