#include "runtime/h5/h5_handle.h"

#include <fmt/format.h>

namespace tessera::h5 {

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string error_stack() {
  std::string text;
  auto collect = [](unsigned /*n*/, const H5E_error2_t* err, void* data) -> herr_t {
    auto* out = static_cast<std::string*>(data);
    if (!out->empty()) {
      *out += "; ";
    }
    *out += err->desc != nullptr ? err->desc : "?";
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &text);
  H5Eclear2(H5E_DEFAULT);
  return text.empty() ? "unknown HDF5 error" : text;
}

void fail(std::string_view what) {
  throw IoError(fmt::format("{}: {}", what, error_stack()));
}

Handle open_file(const std::filesystem::path& path, bool writable) {
  silence_errors();
  hid_t id = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    fail(fmt::format("cannot open HDF5 file {}", path.string()));
  }
  return Handle(id, H5Fclose);
}

Handle create_file(const std::filesystem::path& path) {
  silence_errors();
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) {
    fail(fmt::format("cannot create HDF5 file {}", path.string()));
  }
  return Handle(id, H5Fclose);
}

}  // namespace tessera::h5
