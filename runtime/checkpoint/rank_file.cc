#include "runtime/checkpoint/rank_file.h"

#include <xxhash.h>

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "runtime/checkpoint/checkpoint_files.h"
#include "runtime/error.h"

namespace tessera::runtime {
namespace {

// Little-endian storage types; on the (little-endian) hosts tessera runs on
// the memory types below are the same bits, so HDF5 copies without converting.
hid_t file_type(DType dtype) {
  switch (dtype) {
    case DType::kBool:
    case DType::kUInt8:
      return H5T_STD_U8LE;
    case DType::kInt8:
      return H5T_STD_I8LE;
    case DType::kInt16:
      return H5T_STD_I16LE;
    case DType::kFloat16:
    case DType::kBFloat16:
      return H5T_STD_U16LE;
    case DType::kInt32:
      return H5T_STD_I32LE;
    case DType::kInt64:
      return H5T_STD_I64LE;
    case DType::kUInt64:
      return H5T_STD_U64LE;
    case DType::kFloat32:
      return H5T_IEEE_F32LE;
    case DType::kFloat64:
      return H5T_IEEE_F64LE;
  }
  throw InternalError("unknown dtype");
}

hid_t memory_type(DType dtype) {
  switch (dtype) {
    case DType::kBool:
    case DType::kUInt8:
      return H5T_NATIVE_UINT8;
    case DType::kInt8:
      return H5T_NATIVE_INT8;
    case DType::kInt16:
      return H5T_NATIVE_INT16;
    case DType::kFloat16:
    case DType::kBFloat16:
      return H5T_NATIVE_UINT16;
    case DType::kInt32:
      return H5T_NATIVE_INT32;
    case DType::kInt64:
      return H5T_NATIVE_INT64;
    case DType::kUInt64:
      return H5T_NATIVE_UINT64;
    case DType::kFloat32:
      return H5T_NATIVE_FLOAT;
    case DType::kFloat64:
      return H5T_NATIVE_DOUBLE;
  }
  throw InternalError("unknown dtype");
}

h5::Handle dataspace(const Shape& shape) {
  if (shape.empty()) {
    return h5::Handle(TESSERA_H5_CHECK(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose);
  }
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  return h5::Handle(
      TESSERA_H5_CHECK(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                       "H5Screate_simple"),
      H5Sclose);
}

// Object-creation properties without timestamps (deterministic bytes).
h5::Handle untimed(hid_t property_class) {
  h5::Handle plist(TESSERA_H5_CHECK(H5Pcreate(property_class), "H5Pcreate"), H5Pclose);
  TESSERA_H5_CHECK(H5Pset_obj_track_times(plist.get(), 0), "H5Pset_obj_track_times");
  return plist;
}

// Creates the groups above `path` ("a/b/c" -> a, a/b) that do not exist yet.
void create_parents(hid_t file, const std::string& path, hid_t gcpl) {
  for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string group = path.substr(0, slash);
    if (TESSERA_H5_CHECK(H5Lexists(file, group.c_str(), H5P_DEFAULT), "H5Lexists " + group) > 0) {
      continue;
    }
    h5::Handle g(TESSERA_H5_CHECK(H5Gcreate2(file, group.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT),
                                  "create group " + group),
                 H5Gclose);
  }
}

void write_attribute(hid_t object, const char* name, const std::string& text) {
  h5::Handle type(TESSERA_H5_CHECK(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  TESSERA_H5_CHECK(H5Tset_size(type.get(), std::max<std::size_t>(text.size(), 1)), "H5Tset_size");
  h5::Handle space(TESSERA_H5_CHECK(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose);
  h5::Handle attribute(
      TESSERA_H5_CHECK(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                       fmt::format("create attribute {}", name)),
      H5Aclose);
  TESSERA_H5_CHECK(H5Awrite(attribute.get(), type.get(), text.c_str()), "H5Awrite");
}

// HDF5's error stack for a failed write is a dozen layers deep; the system's
// message ("No space left on device") is what the user needs first.
std::string system_cause(const std::string& stack) {
  constexpr std::string_view kMarker = "error message = '";
  const std::size_t at = stack.find(kMarker);
  if (at == std::string::npos) {
    return stack;
  }
  const std::size_t start = at + kMarker.size();
  const std::size_t end = stack.find('\'', start);
  return fmt::format("{} ({})", stack.substr(start, end - start), stack.substr(0, stack.find(':')));
}

std::string dataset_path(const StateArray& array, int block) {
  switch (array.kind) {
    case ArrayKind::kLocal:
      return "local/" + array.name;
    case ArrayKind::kReplicated:
      return "replicated/" + array.name;
    case ArrayKind::kShard:
      return fmt::format("shard/{}@{}", array.name, block);
  }
  throw InternalError("unknown array kind");
}

ArrayEntry entry_of(const StateArray& array, std::string dataset) {
  return ArrayEntry{array.name,
                    array.kind,
                    array.data.dtype,
                    array.data.shape,
                    array.global_shape,
                    array.offset,
                    std::move(dataset),
                    XXH3_64bits(array.data.bytes.data(), array.data.bytes.size())};
}

void write_dataset(hid_t file, const StateArray& array, const std::string& path, hid_t dcpl, hid_t gcpl) {
  create_parents(file, path, gcpl);
  h5::Handle space = dataspace(array.data.shape);
  h5::Handle dataset(TESSERA_H5_CHECK(H5Dcreate2(file, path.c_str(), file_type(array.data.dtype),
                                                 space.get(), H5P_DEFAULT, dcpl, H5P_DEFAULT),
                                      "create dataset " + path),
                     H5Dclose);
  if (!array.data.bytes.empty()) {
    TESSERA_H5_CHECK(H5Dwrite(dataset.get(), memory_type(array.data.dtype), H5S_ALL, H5S_ALL,
                              H5P_DEFAULT, array.data.bytes.data()),
                     "write dataset " + path);
  }
  write_attribute(dataset.get(), "dtype", std::string(dtype_name(array.data.dtype)));
  if (array.kind == ArrayKind::kShard) {
    write_attribute(dataset.get(), "global_shape", shape_string(array.global_shape));
    write_attribute(dataset.get(), "offset", shape_string(array.offset));
  }
}

}  // namespace

RankEntry write_rank_file(const std::filesystem::path& file, int rank, const CheckpointState& state,
                          bool write_replicated) {
  RankEntry entry;
  entry.rank = rank;
  entry.file = file.filename().string();
  entry.rng_state = state.rng_state();
  entry.blobs = state.blobs();
  const auto start = std::chrono::steady_clock::now();
  try {
    h5::silence_errors();
    h5::Handle fcpl = untimed(H5P_FILE_CREATE);
    const hid_t h5file = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT);
    if (h5file < 0) {
      h5::fail("create");
    }
    try {
      h5::Handle dcpl = untimed(H5P_DATASET_CREATE);
      h5::Handle gcpl = untimed(H5P_GROUP_CREATE);
      std::map<std::string, int> blocks;
      for (const StateArray& array : state.arrays()) {
        if (array.kind == ArrayKind::kReplicated && !write_replicated) {
          entry.declared.push_back(entry_of(array, {}));
          continue;
        }
        const std::string path = dataset_path(array, blocks[array.name]++);
        write_dataset(h5file, array, path, dcpl.get(), gcpl.get());
        entry.arrays.push_back(entry_of(array, path));
      }
    } catch (...) {
      H5Fclose(h5file);
      throw;
    }
    // Closing flushes HDF5's metadata; a full disk often shows up only here.
    TESSERA_H5_CHECK(H5Fclose(h5file), "close (flush)");
    const auto written = std::chrono::steady_clock::now();
    checkpoint_files::fsync_file(file);
    const auto synced = std::chrono::steady_clock::now();
    checkpoint_files::FileDigest digest = checkpoint_files::digest_file(file);
    const auto hashed = std::chrono::steady_clock::now();
    auto seconds = [](auto from, auto to) { return std::chrono::duration<double>(to - from).count(); };
    spdlog::debug("{}: {} bytes; HDF5 write {:.3f} s, fsync {:.3f} s, read-back hash {:.3f} s", entry.file,
                  digest.bytes, seconds(start, written), seconds(written, synced), seconds(synced, hashed));
    entry.file_bytes = digest.bytes;
    entry.file_checksum = digest.checksum;
  } catch (const IoError& e) {
    throw IoError(fmt::format("writing checkpoint file {}: {}", file.string(), system_cause(e.what())));
  }
  return entry;
}

RankFileReader::RankFileReader(const std::filesystem::path& file)
    : file_(file), handle_(h5::open_file(file, /*writable=*/false)) {}

void RankFileReader::read(const ArrayEntry& entry, MutableArrayRef out) const {
  if (out.dtype != entry.dtype || out.shape != entry.shape) {
    throw CheckpointError(file_, fmt::format("array '{}' is {} {}, the reader expects {} {}", entry.name,
                                             dtype_name(entry.dtype), shape_string(entry.shape),
                                             dtype_name(out.dtype), shape_string(out.shape)));
  }
  check_array_size(entry.name, out.dtype, out.shape, out.bytes.size());
  h5::Handle dataset(TESSERA_H5_CHECK(H5Dopen2(handle_.get(), entry.dataset.c_str(), H5P_DEFAULT),
                                      fmt::format("open {} in {}", entry.dataset, file_.string())),
                     H5Dclose);
  if (!out.bytes.empty()) {
    TESSERA_H5_CHECK(H5Dread(dataset.get(), memory_type(entry.dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                             out.bytes.data()),
                     fmt::format("read {} from {}", entry.dataset, file_.string()));
  }
}

void RankFileReader::read_box(const ArrayEntry& entry, const Shape& from, const Shape& count,
                              MutableArrayRef out, const Shape& to) const {
  const std::size_t rank = entry.shape.size();
  TESSERA_CHECK(from.size() == rank && count.size() == rank && to.size() == rank &&
                    out.shape.size() == rank,
                "box of rank {} for array '{}' of rank {}", from.size(), entry.name, rank);
  if (element_count(count) == 0) {
    return;
  }
  h5::Handle dataset(TESSERA_H5_CHECK(H5Dopen2(handle_.get(), entry.dataset.c_str(), H5P_DEFAULT),
                                      fmt::format("open {} in {}", entry.dataset, file_.string())),
                     H5Dclose);
  if (rank == 0) {
    TESSERA_H5_CHECK(H5Dread(dataset.get(), memory_type(entry.dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                             out.bytes.data()),
                     "read scalar");
    return;
  }
  std::vector<hsize_t> file_start(from.begin(), from.end());
  std::vector<hsize_t> mem_start(to.begin(), to.end());
  std::vector<hsize_t> counts(count.begin(), count.end());
  h5::Handle file_space(TESSERA_H5_CHECK(H5Dget_space(dataset.get()), "H5Dget_space"), H5Sclose);
  TESSERA_H5_CHECK(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, file_start.data(), nullptr,
                                       counts.data(), nullptr),
                   "select file box");
  h5::Handle mem_space = dataspace(out.shape);
  TESSERA_H5_CHECK(H5Sselect_hyperslab(mem_space.get(), H5S_SELECT_SET, mem_start.data(), nullptr,
                                       counts.data(), nullptr),
                   "select memory box");
  TESSERA_H5_CHECK(H5Dread(dataset.get(), memory_type(entry.dtype), mem_space.get(), file_space.get(),
                           H5P_DEFAULT, out.bytes.data()),
                   fmt::format("read {} from {}", entry.dataset, file_.string()));
}

}  // namespace tessera::runtime
