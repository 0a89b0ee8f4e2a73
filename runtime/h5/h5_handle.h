#pragma once

// HDF5 identifiers as RAII handles, and the one macro that turns an HDF5
// failure into a tessera::IoError carrying the library's error stack.

#include <hdf5.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "runtime/error.h"

namespace tessera::h5 {

using Closer = herr_t (*)(hid_t);

// Owns one HDF5 identifier. Move-only; closes it in the destructor.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      close_ = other.close_;
      other.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  void reset() noexcept {
    if (id_ >= 0 && close_ != nullptr) {
      close_(id_);
    }
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// The current HDF5 error stack as one line (and clears it).
std::string error_stack();

// Stops HDF5 from printing its error stack to stderr; errors reach the user
// through exceptions instead. Idempotent.
void silence_errors();

[[noreturn]] void fail(std::string_view what);

// Opens an existing file read-only or read-write.
Handle open_file(const std::filesystem::path& path, bool writable);
// Creates (truncates) a file.
Handle create_file(const std::filesystem::path& path);

}  // namespace tessera::h5

// Evaluates an HDF5 call; a negative result throws IoError("<what>: <stack>").
#define TESSERA_H5_CHECK(call, what)       \
  ([&]() {                                 \
    auto tessera_h5_rc_ = (call);          \
    if (tessera_h5_rc_ < 0) {              \
      ::tessera::h5::fail(what);           \
    }                                      \
    return tessera_h5_rc_;                 \
  }())
