#include "runtime/metrics_writer.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "runtime/error.h"
#include "runtime/h5/h5_handle.h"

namespace tessera::runtime {
namespace {

constexpr hsize_t kChunkRows = 1024;

template <class T>
hid_t h5_type() {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    return H5T_NATIVE_INT64;
  } else {
    return H5T_NATIVE_DOUBLE;
  }
}

h5::Handle open_or_create_group(hid_t file, const std::string& path) {
  if (H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0) {
    return h5::Handle(TESSERA_H5_CHECK(H5Gopen2(file, path.c_str(), H5P_DEFAULT), "open group " + path),
                      H5Gclose);
  }
  h5::Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  return h5::Handle(
      TESSERA_H5_CHECK(H5Gcreate2(file, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                       "create group " + path),
      H5Gclose);
}

// Appends `rows` to the 1-D extendible dataset `name` of `group`, creating it.
template <class T>
void append_rows(hid_t group, const char* name, const std::vector<T>& rows) {
  h5::Handle dataset;
  hsize_t old_size = 0;
  if (H5Lexists(group, name, H5P_DEFAULT) > 0) {
    dataset = h5::Handle(TESSERA_H5_CHECK(H5Dopen2(group, name, H5P_DEFAULT), name), H5Dclose);
    h5::Handle space(H5Dget_space(dataset.get()), H5Sclose);
    H5Sget_simple_extent_dims(space.get(), &old_size, nullptr);
  } else {
    hsize_t zero = 0;
    hsize_t unlimited = H5S_UNLIMITED;
    h5::Handle space(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(dcpl.get(), 1, &kChunkRows);
    dataset = h5::Handle(TESSERA_H5_CHECK(H5Dcreate2(group, name, h5_type<T>(), space.get(), H5P_DEFAULT,
                                                     dcpl.get(), H5P_DEFAULT),
                                          name),
                         H5Dclose);
  }
  hsize_t new_size = old_size + rows.size();
  TESSERA_H5_CHECK(H5Dset_extent(dataset.get(), &new_size), "extend dataset");
  h5::Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
  hsize_t count = rows.size();
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &old_size, nullptr, &count, nullptr);
  h5::Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  TESSERA_H5_CHECK(H5Dwrite(dataset.get(), h5_type<T>(), memory_space.get(), file_space.get(),
                            H5P_DEFAULT, rows.data()),
                   "write rows");
}

template <class T>
std::vector<T> read_rows(hid_t group, const char* name) {
  h5::Handle dataset(TESSERA_H5_CHECK(H5Dopen2(group, name, H5P_DEFAULT), name), H5Dclose);
  h5::Handle space(H5Dget_space(dataset.get()), H5Sclose);
  hsize_t size = 0;
  H5Sget_simple_extent_dims(space.get(), &size, nullptr);
  std::vector<T> rows(size);
  if (size > 0) {
    TESSERA_H5_CHECK(H5Dread(dataset.get(), h5_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()),
                     "read rows");
  }
  return rows;
}

void shrink(hid_t group, const char* name, hsize_t size) {
  h5::Handle dataset(TESSERA_H5_CHECK(H5Dopen2(group, name, H5P_DEFAULT), name), H5Dclose);
  TESSERA_H5_CHECK(H5Dset_extent(dataset.get(), &size), "shrink dataset");
}

void set_string_attribute(hid_t object, const std::string& key, const std::string& value) {
  if (H5Aexists(object, key.c_str()) > 0) {
    H5Adelete(object, key.c_str());
  }
  h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<std::size_t>(1, value.size()));
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  h5::Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  h5::Handle attribute(TESSERA_H5_CHECK(H5Acreate2(object, key.c_str(), type.get(), space.get(),
                                                   H5P_DEFAULT, H5P_DEFAULT),
                                        "create attribute " + key),
                       H5Aclose);
  TESSERA_H5_CHECK(H5Awrite(attribute.get(), type.get(), value.data()), "write attribute " + key);
}

h5::Handle open_for_append(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    return h5::create_file(path);
  }
  try {
    return h5::open_file(path, /*writable=*/true);
  } catch (const IoError& e) {
    // A file damaged by a crash mid-write: keep it aside, start a new one.
    std::filesystem::path aside = path;
    aside += ".damaged";
    spdlog::warn("{} is unreadable ({}); moved to {} and starting a new metrics file",
                 path.string(), e.what(), aside.string());
    std::filesystem::rename(path, aside);
    return h5::create_file(path);
  }
}

// Collects the groups holding a "value" dataset.
herr_t collect_series(hid_t /*root*/, const char* name, const H5L_info_t* /*info*/, void* data) {
  auto* names = static_cast<std::vector<std::string>*>(data);
  std::string path(name);
  if (path.size() > 6 && path.ends_with("/value")) {
    names->push_back(path.substr(0, path.size() - 6));
  }
  return 0;
}

}  // namespace

MetricsWriter::MetricsWriter(std::filesystem::path file, config::Seconds flush_every)
    : file_(std::move(file)), flush_every_(flush_every) {}

MetricsWriter::~MetricsWriter() {
  try {
    flush();
  } catch (const std::exception& e) {
    spdlog::error("metrics: final flush failed: {}", e.what());
  }
}

void MetricsWriter::append(std::int64_t step, std::string_view name, double value) {
  if (!file_) {
    return;
  }
  auto it = pending_.find(name);
  if (it == pending_.end()) {
    it = pending_.emplace(std::string(name), Rows{}).first;
  }
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  it->second.steps.push_back(step);
  it->second.values.push_back(value);
  it->second.times.push_back(now);
  if (std::chrono::steady_clock::now() - last_flush_ > flush_every_) {
    flush();
  }
}

void MetricsWriter::set_metadata(std::string_view key, std::string_view value) {
  if (file_) {
    metadata_[std::string(key)] = std::string(value);
  }
}

void MetricsWriter::flush() {
  last_flush_ = std::chrono::steady_clock::now();
  if (!file_ || (pending_.empty() && metadata_.empty())) {
    return;
  }
  h5::Handle file = open_for_append(*file_);
  for (auto& [name, rows] : pending_) {
    if (rows.steps.empty()) {
      continue;
    }
    h5::Handle group = open_or_create_group(file.get(), name);
    append_rows(group.get(), "step", rows.steps);
    append_rows(group.get(), "value", rows.values);
    append_rows(group.get(), "time", rows.times);
  }
  pending_.clear();
  for (const auto& [key, value] : metadata_) {
    set_string_attribute(file.get(), key, value);
  }
  metadata_.clear();
  TESSERA_H5_CHECK(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "flush " + file_->string());
}

void MetricsWriter::truncate_after(std::int64_t step) {
  if (!file_) {
    return;
  }
  flush();
  if (!std::filesystem::exists(*file_)) {
    return;
  }
  std::vector<std::string> names = list_metrics(*file_);
  h5::Handle file = h5::open_file(*file_, /*writable=*/true);
  for (const std::string& name : names) {
    h5::Handle group(TESSERA_H5_CHECK(H5Gopen2(file.get(), name.c_str(), H5P_DEFAULT), name), H5Gclose);
    std::vector<std::int64_t> steps = read_rows<std::int64_t>(group.get(), "step");
    auto keep = static_cast<hsize_t>(
        std::find_if(steps.begin(), steps.end(), [step](std::int64_t s) { return s > step; }) -
        steps.begin());
    if (keep < steps.size()) {
      for (const char* column : {"step", "value", "time"}) {
        shrink(group.get(), column, keep);
      }
    }
  }
}

MetricSeries read_metric(const std::filesystem::path& path, std::string_view name) {
  h5::Handle file = h5::open_file(path, /*writable=*/false);
  std::string group_name(name);
  if (H5Lexists(file.get(), group_name.c_str(), H5P_DEFAULT) <= 0) {
    throw IoError(fmt::format("{} has no metric '{}'", path.string(), name));
  }
  h5::Handle group(TESSERA_H5_CHECK(H5Gopen2(file.get(), group_name.c_str(), H5P_DEFAULT), group_name),
                   H5Gclose);
  return MetricSeries{read_rows<std::int64_t>(group.get(), "step"),
                      read_rows<double>(group.get(), "value"), read_rows<double>(group.get(), "time")};
}

std::vector<std::string> list_metrics(const std::filesystem::path& path) {
  h5::Handle file = h5::open_file(path, /*writable=*/false);
  std::vector<std::string> names;
  TESSERA_H5_CHECK(H5Lvisit(file.get(), H5_INDEX_NAME, H5_ITER_INC, collect_series, &names),
                   "list metrics in " + path.string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tessera::runtime
