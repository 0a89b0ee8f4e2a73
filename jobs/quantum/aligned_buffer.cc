#include "jobs/quantum/aligned_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace tessera::jobs::quantum::detail {

void* allocate_aligned(std::size_t bytes) {
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  const std::size_t alignment = bytes >= 2 * kHugePage ? kHugePage : 64;
  const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  if (rounded == 0) {
    return nullptr;
  }
  void* p = std::aligned_alloc(alignment, rounded);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
#ifdef MADV_HUGEPAGE
  if (alignment == kHugePage) {
    ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure only costs speed
  }
#endif
  return p;
}

void free_aligned(void* p) noexcept { std::free(p); }

}  // namespace tessera::jobs::quantum::detail
