#include "jobs/sweep/results_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/h5/h5_handle.h"

namespace tessera::jobs::sweep {
namespace {

using h5::Handle;
constexpr const char* kFormat = "tessera-sweep-1";

Handle string_type() {
  Handle t(TESSERA_H5_CHECK(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  TESSERA_H5_CHECK(H5Tset_size(t.get(), H5T_VARIABLE), "H5Tset_size");
  TESSERA_H5_CHECK(H5Tset_cset(t.get(), H5T_CSET_UTF8), "H5Tset_cset");
  return t;
}

Handle group(hid_t parent, const std::string& name) {
  return Handle(TESSERA_H5_CHECK(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                 "create group " + name),
                H5Gclose);
}

Handle open_group(hid_t parent, const std::string& name) {
  return Handle(TESSERA_H5_CHECK(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), "open group " + name), H5Gclose);
}

bool exists(hid_t parent, const std::string& name) { return H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0; }

void write_dataset(hid_t parent, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                   const void* data) {
  Handle space(TESSERA_H5_CHECK(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                                "H5Screate_simple"),
               H5Sclose);
  Handle set(TESSERA_H5_CHECK(H5Dcreate2(parent, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                                         H5P_DEFAULT),
                              "create dataset " + name),
             H5Dclose);
  hsize_t n = 1;
  for (hsize_t d : dims) {
    n *= d;
  }
  if (n > 0) {
    TESSERA_H5_CHECK(H5Dwrite(set.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write " + name);
  }
}

void write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values) {
  std::vector<const char*> ptrs;
  for (const std::string& v : values) {
    ptrs.push_back(v.c_str());
  }
  Handle t = string_type();
  write_dataset(parent, name, t.get(), {values.size()}, ptrs.data());
}

template <class T>
void write_column(hid_t parent, const std::string& name, hid_t type, const std::vector<T>& values) {
  write_dataset(parent, name, type, {values.size()}, values.data());
}

void set_attribute(hid_t object, const std::string& name, const std::string& value) {
  Handle t = string_type();
  Handle space(TESSERA_H5_CHECK(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose);
  Handle attr(TESSERA_H5_CHECK(H5Acreate2(object, name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                               "create attribute " + name),
              H5Aclose);
  const char* ptr = value.c_str();
  TESSERA_H5_CHECK(H5Awrite(attr.get(), t.get(), &ptr), "write attribute " + name);
}

void set_attribute(hid_t object, const std::string& name, double value) {
  Handle space(TESSERA_H5_CHECK(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose);
  Handle attr(TESSERA_H5_CHECK(H5Acreate2(object, name.c_str(), H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT,
                                          H5P_DEFAULT),
                               "create attribute " + name),
              H5Aclose);
  TESSERA_H5_CHECK(H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, &value), "write attribute " + name);
}

std::string get_string_attribute(hid_t object, const std::string& name) {
  if (H5Aexists(object, name.c_str()) <= 0) {
    return {};
  }
  Handle attr(TESSERA_H5_CHECK(H5Aopen(object, name.c_str(), H5P_DEFAULT), "open attribute " + name), H5Aclose);
  Handle t = string_type();
  char* ptr = nullptr;
  TESSERA_H5_CHECK(H5Aread(attr.get(), t.get(), &ptr), "read attribute " + name);
  std::string value = ptr != nullptr ? ptr : "";
  H5free_memory(ptr);
  return value;
}

double get_double_attribute(hid_t object, const std::string& name) {
  Handle attr(TESSERA_H5_CHECK(H5Aopen(object, name.c_str(), H5P_DEFAULT), "open attribute " + name), H5Aclose);
  double value = 0;
  TESSERA_H5_CHECK(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value), "read attribute " + name);
  return value;
}

std::vector<hsize_t> dims_of(hid_t set) {
  Handle space(TESSERA_H5_CHECK(H5Dget_space(set), "H5Dget_space"), H5Sclose);
  const int rank = TESSERA_H5_CHECK(H5Sget_simple_extent_ndims(space.get()), "ndims");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  TESSERA_H5_CHECK(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "dims");
  return dims;
}

std::vector<std::string> read_strings(hid_t parent, const std::string& name) {
  Handle set(TESSERA_H5_CHECK(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "open " + name), H5Dclose);
  const std::vector<hsize_t> dims = dims_of(set.get());
  std::vector<char*> ptrs(dims.empty() ? 0 : dims[0], nullptr);
  std::vector<std::string> out;
  if (ptrs.empty()) {
    return out;
  }
  Handle t = string_type();
  TESSERA_H5_CHECK(H5Dread(set.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "read " + name);
  for (char* p : ptrs) {
    out.emplace_back(p != nullptr ? p : "");
  }
  Handle space(TESSERA_H5_CHECK(H5Dget_space(set.get()), "H5Dget_space"), H5Sclose);
  H5Dvlen_reclaim(t.get(), space.get(), H5P_DEFAULT, ptrs.data());
  return out;
}

template <class T>
std::vector<T> read_column(hid_t parent, const std::string& name, hid_t type) {
  Handle set(TESSERA_H5_CHECK(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "open " + name), H5Dclose);
  const std::vector<hsize_t> dims = dims_of(set.get());
  std::vector<T> out(dims.empty() ? 0 : dims[0]);
  if (!out.empty()) {
    TESSERA_H5_CHECK(H5Dread(set.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "read " + name);
  }
  return out;
}

void write_arrays(hid_t parent, const std::map<std::string, NumericArray>& arrays) {
  for (const auto& [name, a] : arrays) {
    const std::vector<hsize_t> dims = a.shape.empty() ? std::vector<hsize_t>{a.values.size()}
                                                      : std::vector<hsize_t>(a.shape.begin(), a.shape.end());
    write_dataset(parent, name, H5T_NATIVE_DOUBLE, dims, a.values.data());
  }
}

std::map<std::string, NumericArray> read_arrays(hid_t parent) {
  std::map<std::string, NumericArray> arrays;
  H5G_info_t info;
  TESSERA_H5_CHECK(H5Gget_info(parent, &info), "H5Gget_info");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[512];
    TESSERA_H5_CHECK(H5Lget_name_by_idx(parent, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT),
                     "H5Lget_name_by_idx");
    H5O_info_t oinfo;
    TESSERA_H5_CHECK(H5Oget_info_by_name(parent, name, &oinfo, H5P_DEFAULT), "H5Oget_info_by_name");
    if (oinfo.type != H5O_TYPE_DATASET) {
      continue;
    }
    Handle set(TESSERA_H5_CHECK(H5Dopen2(parent, name, H5P_DEFAULT), "open array"), H5Dclose);
    NumericArray& a = arrays[name];
    const std::vector<hsize_t> dims = dims_of(set.get());
    a.shape.assign(dims.begin(), dims.end());
    hsize_t n = 1;
    for (hsize_t d : dims) {
      n *= d;
    }
    a.values.resize(n);
    if (n > 0) {
      TESSERA_H5_CHECK(H5Dread(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()),
                       "read array");
    }
  }
  return arrays;
}

std::vector<std::string> child_names(hid_t parent) {
  H5G_info_t info;
  TESSERA_H5_CHECK(H5Gget_info(parent, &info), "H5Gget_info");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[512];
    TESSERA_H5_CHECK(H5Lget_name_by_idx(parent, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT),
                     "H5Lget_name_by_idx");
    names.emplace_back(name);
  }
  return names;
}

void fsync_path(const std::filesystem::path& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) {
    throw IoError(fmt::format("open {}: {}", path.string(), system_message(errno)));
  }
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) {
    throw IoError(fmt::format("fsync {}: {}", path.string(), system_message(errno)));
  }
}

std::string custom_json(const Counts& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : c.custom) {
    j[k] = v;
  }
  return j.dump();
}

std::map<std::string, std::int64_t> parse_custom(const std::string& text) {
  if (text.empty()) {
    return {};
  }
  return nlohmann::json::parse(text).get<std::map<std::string, std::int64_t>>();
}

std::string csv_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}

}  // namespace

void write_results(const std::filesystem::path& path, const std::vector<TaskRecord>& records,
                   const ResultsMetadata& metadata) {
  h5::silence_errors();
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    Handle file = h5::create_file(tmp);
    set_attribute(file.get(), "format", std::string(kFormat));
    set_attribute(file.get(), "job", metadata.job);
    set_attribute(file.get(), "config", metadata.config);
    Handle tasks = group(file.get(), "tasks");
    std::vector<std::string> ids, decoders, meta, params, custom;
    std::vector<std::int64_t> shots, errors, discards, chunks;
    std::vector<double> seconds;
    std::vector<std::int8_t> finished;
    for (const TaskRecord& r : records) {
      ids.push_back(r.id);
      decoders.push_back(r.decoder);
      meta.push_back(r.metadata.dump());
      params.push_back(r.params.dump());
      custom.push_back(custom_json(r.total.counts));
      shots.push_back(r.total.counts.shots);
      errors.push_back(r.total.counts.errors);
      discards.push_back(r.total.counts.discards);
      chunks.push_back(r.chunks);
      seconds.push_back(r.total.counts.seconds);
      finished.push_back(r.finished ? 1 : 0);
    }
    write_strings(tasks.get(), "strong_id", ids);
    write_strings(tasks.get(), "decoder", decoders);
    write_strings(tasks.get(), "json_metadata", meta);
    write_strings(tasks.get(), "params", params);
    write_strings(tasks.get(), "custom_counts", custom);
    write_column(tasks.get(), "shots", H5T_NATIVE_INT64, shots);
    write_column(tasks.get(), "errors", H5T_NATIVE_INT64, errors);
    write_column(tasks.get(), "discards", H5T_NATIVE_INT64, discards);
    write_column(tasks.get(), "chunks", H5T_NATIVE_INT64, chunks);
    write_column(tasks.get(), "seconds", H5T_NATIVE_DOUBLE, seconds);
    write_column(tasks.get(), "finished", H5T_NATIVE_INT8, finished);
    Handle arrays = group(file.get(), "arrays");
    Handle pending = group(file.get(), "pending");
    for (const TaskRecord& r : records) {
      if (!r.total.arrays.empty()) {
        Handle g = group(arrays.get(), r.id);
        write_arrays(g.get(), r.total.arrays);
      }
      if (!r.pending.empty()) {
        Handle g = group(pending.get(), r.id);
        for (const auto& [chunk, result] : r.pending) {
          Handle c = group(g.get(), std::to_string(chunk));
          set_attribute(c.get(), "shots", static_cast<double>(result.counts.shots));
          set_attribute(c.get(), "errors", static_cast<double>(result.counts.errors));
          set_attribute(c.get(), "discards", static_cast<double>(result.counts.discards));
          set_attribute(c.get(), "seconds", result.counts.seconds);
          set_attribute(c.get(), "custom_counts", custom_json(result.counts));
          write_arrays(c.get(), result.arrays);
        }
      }
    }
    TESSERA_H5_CHECK(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "flush " + tmp.string());
  }
  fsync_path(tmp, false);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    throw IoError(fmt::format("rename {} -> {}: {}", tmp.string(), path.string(), ec.message()));
  }
  fsync_path(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path(), true);
}

std::vector<TaskRecord> read_results(const std::filesystem::path& path, ResultsMetadata* metadata) {
  h5::silence_errors();
  Handle file = h5::open_file(path, false);
  if (get_string_attribute(file.get(), "format") != kFormat) {
    throw DataError(path.string(), "/", 0, "not a tessera sweep results file (format attribute)");
  }
  if (metadata != nullptr) {
    metadata->job = get_string_attribute(file.get(), "job");
    metadata->config = get_string_attribute(file.get(), "config");
  }
  Handle tasks = open_group(file.get(), "tasks");
  const auto ids = read_strings(tasks.get(), "strong_id");
  const auto decoders = read_strings(tasks.get(), "decoder");
  const auto meta = read_strings(tasks.get(), "json_metadata");
  const auto params = read_strings(tasks.get(), "params");
  const auto custom = read_strings(tasks.get(), "custom_counts");
  const auto shots = read_column<std::int64_t>(tasks.get(), "shots", H5T_NATIVE_INT64);
  const auto errors = read_column<std::int64_t>(tasks.get(), "errors", H5T_NATIVE_INT64);
  const auto discards = read_column<std::int64_t>(tasks.get(), "discards", H5T_NATIVE_INT64);
  const auto chunks = read_column<std::int64_t>(tasks.get(), "chunks", H5T_NATIVE_INT64);
  const auto seconds = read_column<double>(tasks.get(), "seconds", H5T_NATIVE_DOUBLE);
  const auto finished = read_column<std::int8_t>(tasks.get(), "finished", H5T_NATIVE_INT8);
  Handle arrays = open_group(file.get(), "arrays");
  Handle pending = open_group(file.get(), "pending");
  std::vector<TaskRecord> records(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    TaskRecord& r = records[i];
    r.id = ids[i];
    r.decoder = decoders[i];
    r.metadata = nlohmann::json::parse(meta[i]);
    r.params = nlohmann::json::parse(params[i]);
    r.total.counts = Counts{shots[i], errors[i], discards[i], seconds[i], parse_custom(custom[i])};
    r.chunks = chunks[i];
    r.finished = finished[i] != 0;
    if (exists(arrays.get(), r.id)) {
      Handle g = open_group(arrays.get(), r.id);
      r.total.arrays = read_arrays(g.get());
    }
    if (exists(pending.get(), r.id)) {
      Handle g = open_group(pending.get(), r.id);
      for (const std::string& name : child_names(g.get())) {
        Handle c = open_group(g.get(), name);
        ChunkResult& result = r.pending[std::stoll(name)];
        result.counts.shots = static_cast<std::int64_t>(get_double_attribute(c.get(), "shots"));
        result.counts.errors = static_cast<std::int64_t>(get_double_attribute(c.get(), "errors"));
        result.counts.discards = static_cast<std::int64_t>(get_double_attribute(c.get(), "discards"));
        result.counts.seconds = get_double_attribute(c.get(), "seconds");
        result.counts.custom = parse_custom(get_string_attribute(c.get(), "custom_counts"));
        result.arrays = read_arrays(c.get());
      }
    }
  }
  return records;
}

std::string results_csv(const std::vector<TaskRecord>& records) {
  std::string out = "shots,errors,discards,seconds,decoder,strong_id,json_metadata,custom_counts\n";
  for (const TaskRecord& r : records) {
    const Counts& c = r.total.counts;
    out += fmt::format("{},{},{},{:.6g},{},{},{},{}\n", c.shots, c.errors, c.discards, c.seconds,
                       r.decoder.empty() ? "none" : r.decoder, r.id, csv_quote(r.metadata.dump()),
                       c.custom.empty() ? std::string() : csv_quote(custom_json(c)));
  }
  return out;
}

}  // namespace tessera::jobs::sweep
