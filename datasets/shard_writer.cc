#include "datasets/shard_writer.h"

#include <regex>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::datasets {

std::string ShardWriter::shard_name(const std::string& pattern, std::uint64_t number) {
  static const std::regex conversion("%(0?)([0-9]*)d");
  std::smatch m;
  if (!std::regex_search(pattern, m, conversion)) {
    throw ConfigError(fmt::format("shard name pattern '{}' needs a number conversion such as %06d", pattern));
  }
  const std::size_t width = m[2].length() > 0 ? std::stoul(m[2].str()) : 0;
  std::string number_text = m[1].length() > 0 ? fmt::format("{:0{}}", number, width) : fmt::format("{:{}}", number, width);
  return m.prefix().str() + number_text + m.suffix().str();
}

ShardWriter::ShardWriter(std::string pattern, ShardWriterOptions options)
    : pattern_(std::move(pattern)), options_(options), next_shard_(options.start_shard) {
  (void)shard_name(pattern_, 0);  // validates the pattern
}

ShardWriter::~ShardWriter() = default;

void ShardWriter::write(const OutSample& sample) {
  if (current_ && (current_->samples() >= options_.max_samples || current_->bytes() >= options_.max_bytes)) {
    current_->close();
    shards_.push_back(current_->path());
    current_.reset();
  }
  if (!current_) {
    std::filesystem::path path = shard_name(pattern_, next_shard_++);
    if (path.has_parent_path()) {
      std::filesystem::create_directories(path.parent_path());
    }
    current_ = std::make_unique<TarWriter>(path, options_.tar);
  }
  current_->write(sample);
  ++samples_;
}

void ShardWriter::close() {
  if (current_) {
    current_->close();
    shards_.push_back(current_->path());
    current_.reset();
  }
}

}  // namespace tessera::datasets
