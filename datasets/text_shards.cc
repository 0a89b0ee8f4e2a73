#include "datasets/text_shards.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "datasets/npy.h"
#include "datasets/shard_writer.h"
#include "runtime/error.h"

namespace tessera::datasets {
namespace {

std::vector<std::filesystem::path> input_files(const std::vector<std::filesystem::path>& inputs) {
  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(input, ec)) {
      std::vector<std::filesystem::path> in_dir;
      for (const auto& entry : std::filesystem::directory_iterator(input)) {
        if (entry.is_regular_file() && !entry.is_symlink() && entry.path().extension() != ".dat") {
          in_dir.push_back(entry.path());
        }
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (std::filesystem::is_regular_file(input, ec)) {
      files.push_back(input);
    } else {
      throw IoError(fmt::format("text input {} is neither a file nor a directory", input.string()));
    }
  }
  return files;
}

}  // namespace

std::vector<ConvertedSplit> convert_text(const TextShardsOptions& options) {
  if (options.seq_len == 0 || options.per_shard == 0) {
    throw ConfigError("text shards: seq_len and per_shard must be > 0");
  }
  if (options.eval_fraction < 0 || options.eval_fraction >= 1) {
    throw ConfigError(fmt::format("text shards: eval_fraction = {} (must be in [0, 1))", options.eval_fraction));
  }
  std::string corpus;
  for (const auto& file : input_files(options.inputs)) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      throw IoError(fmt::format("cannot read {}", file.string()));
    }
    corpus.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::uint64_t windows = corpus.size() / options.seq_len;
  if (windows == 0) {
    throw IoError(fmt::format("text corpus has {} bytes, less than one window of {}", corpus.size(), options.seq_len));
  }
  const auto eval_windows = static_cast<std::uint64_t>(static_cast<double>(windows) * options.eval_fraction);
  const std::uint64_t train_windows = windows - eval_windows;
  std::vector<ConvertedSplit> out;
  for (const auto& [split, begin, end] : {std::tuple{"train", std::uint64_t{0}, train_windows},
                                          std::tuple{"eval", train_windows, windows}}) {
    if (begin == end) {
      continue;
    }
    const std::string pattern = (options.out / fmt::format("{}-{}-%06d.tar", options.name, split)).string();
    ShardWriter writer(pattern, {.max_samples = options.per_shard});
    for (std::uint64_t w = begin; w < end; ++w) {
      OutSample s;
      s.key = fmt::format("{}-{:08}", options.name, w);
      s.fields["npy"] = encode_npy(
          DType::kUInt8, {static_cast<std::int64_t>(options.seq_len)},
          std::as_bytes(std::span(corpus.data() + w * options.seq_len, options.seq_len)));
      writer.write(s);
    }
    writer.close();
    out.push_back(ConvertedSplit{split, brace_spec(pattern, writer.shards().size()), writer.shards(), end - begin});
  }
  return out;
}

}  // namespace tessera::datasets
