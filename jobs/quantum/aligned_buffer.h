#pragma once

// AlignedBuffer: an owned array of trivially copyable T, 64-byte aligned (the
// kernels' vector width), on transparent huge pages when it is large (a
// 2^24-amplitude state spans 64 thousand 4 KiB pages, which the TLB cannot
// cover).

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

namespace tessera::jobs::quantum {

namespace detail {
// Allocates `bytes` (rounded up) aligned to 64 bytes, or to 2 MiB with a
// huge-page hint when bytes >= 4 MiB. Throws std::bad_alloc naming nothing
// else; the caller reports the size.
void* allocate_aligned(std::size_t bytes);
void free_aligned(void* p) noexcept;
}  // namespace detail

template <class T>
class AlignedBuffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  AlignedBuffer() = default;
  // `count` elements, uninitialised (the owner fills them, in parallel when
  // it has threads, so pages land where they are used).
  explicit AlignedBuffer(std::uint64_t count)
      : data_(static_cast<T*>(detail::allocate_aligned(count * sizeof(T)))), size_(count) {}
  ~AlignedBuffer() { detail::free_aligned(data_); }
  AlignedBuffer(const AlignedBuffer& other) : AlignedBuffer(other.size_) {
    if (size_ > 0) {
      __builtin_memcpy(data_, other.data_, size_ * sizeof(T));
    }
  }
  AlignedBuffer& operator=(const AlignedBuffer& other) {
    if (this != &other) {
      AlignedBuffer copy(other);
      swap(copy);
    }
    return *this;
  }
  AlignedBuffer(AlignedBuffer&& other) noexcept { swap(other); }
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
    swap(other);
    return *this;
  }
  void swap(AlignedBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::uint64_t size() const { return size_; }
  std::span<T> span() { return {data_, size_}; }
  std::span<const T> span() const { return {data_, size_}; }
  T& operator[](std::uint64_t i) { return data_[i]; }
  const T& operator[](std::uint64_t i) const { return data_[i]; }

 private:
  T* data_ = nullptr;
  std::uint64_t size_ = 0;
};

}  // namespace tessera::jobs::quantum
