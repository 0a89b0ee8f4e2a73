#include "datasets/shard_reader.h"

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::datasets {

bool split_member_name(std::string_view name, std::string_view& key, std::string_view& ext) {
  const std::size_t slash = name.rfind('/');
  const std::size_t base = slash == std::string_view::npos ? 0 : slash + 1;
  const std::size_t dot = name.find('.', base);
  if (dot == std::string_view::npos) {
    return false;
  }
  if (dot > base) {
    key = name.substr(0, dot);
    ext = name.substr(dot + 1);
    return true;
  }
  // The basename starts with '.': the regex backtracks into the directory
  // part, which works only when the last directory component has no dot
  // ("dir/.hidden" -> key "dir/", ext "hidden").
  if (slash == std::string_view::npos) {
    return false;
  }
  const std::size_t prev = name.rfind('/', slash == 0 ? std::string_view::npos : slash - 1);
  const std::size_t comp = (prev == std::string_view::npos || slash == 0) ? 0 : prev + 1;
  if (name.substr(comp, slash - comp).find('.') != std::string_view::npos) {
    return false;
  }
  key = name.substr(0, dot);
  ext = name.substr(dot + 1);
  return true;
}

bool is_metadata_member(std::string_view name) {
  if (!name.starts_with("__")) {
    return false;
  }
  const std::size_t slash = name.find('/');
  std::string_view first = name.substr(0, slash);
  return first.size() >= 4 && first.ends_with("__");
}

ShardReader::ShardReader(std::unique_ptr<ByteSource> source, std::shared_ptr<const std::string> url,
                         std::uint32_t shard, ShardReaderOptions options, ShardPosition start,
                         std::size_t buffer_bytes)
    : tar_(std::move(source), buffer_bytes),
      url_(std::move(url)),
      shard_(shard),
      options_(options),
      next_offset_(start.offset),
      ordinal_(start.ordinal) {
  tar_.set_global_attributes(std::move(start.pax_globals));
}

bool ShardReader::advance() {
  while (tar_.next(member_)) {
    if (!member_.is_regular() || is_metadata_member(member_.name)) {
      continue;
    }
    std::string_view key;
    std::string_view ext;
    if (!split_member_name(member_.name, key, ext)) {
      continue;
    }
    member_key_.assign(key);
    member_ext_.assign(ext);
    if (!options_.case_sensitive) {
      for (char& c : member_ext_) {
        if (c >= 'A' && c <= 'Z') {
          c = static_cast<char>(c - 'A' + 'a');
        }
      }
    }
    return true;
  }
  return false;
}

bool ShardReader::next(Sample& sample, bool with_data) {
  TESSERA_CHECK(!broken_, "next() on a broken shard reader ({})", *url_);
  if (done_) {
    return false;
  }
  std::string duplicate;
  try {
    if (!pending_ && !advance()) {
      done_ = true;
      next_offset_ = tar_.end_offset();
      return false;
    }
    sample.key = member_key_;
    sample.url = url_;
    sample.fields.clear();
    sample.values.clear();
    sample.location = SampleLocation{shard_, member_.header_offset, ordinal_};
    do {
      if (member_.size > options_.max_member_bytes) {
        throw DataError(*url_, member_.name, member_.data_offset,
                        fmt::format("member of {} bytes exceeds the limit of {} bytes", member_.size,
                                    options_.max_member_bytes));
      }
      if (sample.find(member_ext_) != nullptr) {
        duplicate = member_.name;
      } else {
        SampleField& field = sample.fields.emplace_back();
        field.ext = member_ext_;
        field.size = member_.size;
        if (with_data) {
          field.data = std::make_unique_for_overwrite<std::byte[]>(member_.size);
          tar_.read_data(std::span(field.data.get(), member_.size));
        }
      }
      pending_ = advance();
    } while (pending_ && member_key_ == sample.key);
    done_ = !pending_;
    next_offset_ = pending_ ? member_.header_offset : tar_.end_offset();
    ++ordinal_;
  } catch (const DataError&) {
    broken_ = true;
    throw;
  }
  if (!duplicate.empty()) {
    throw DataError(*url_, duplicate, sample.location.offset,
                    "duplicate extension within one sample (two members with the same key and extension)");
  }
  if (options_.strict && !seen_.insert(sample.key).second) {
    throw DataError(*url_, sample.key, sample.location.offset,
                    "strict: key reappears after other keys (its members are not adjacent)");
  }
  return true;
}

void ShardReader::finish() {
  try {
    tar_.finish();
  } catch (const DataError&) {
    broken_ = true;
    throw;
  }
}

ShardPosition ShardReader::position() const {
  return ShardPosition{next_offset_, ordinal_, tar_.global_attributes()};
}

}  // namespace tessera::datasets
