#include "datasets/fashion_mnist.h"

#include <zlib.h>

#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "datasets/npy.h"
#include "datasets/shard_writer.h"
#include "runtime/error.h"

namespace tessera::datasets {
namespace {

std::vector<unsigned char> read_gz(const std::filesystem::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) {
    throw IoError(fmt::format("cannot open {} (install dataset-fashion-mnist, or pass --source)", path.string()));
  }
  std::vector<unsigned char> out;
  unsigned char buf[1 << 16];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) {
    out.insert(out.end(), buf, buf + n);
  }
  int err = 0;
  const char* message = gzerror(f, &err);
  gzclose(f);
  if (n < 0 || err != Z_OK) {
    throw IoError(fmt::format("cannot read {}: {}", path.string(), message));
  }
  return out;
}

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

std::string brace_spec(const std::string& pattern, std::uint64_t count) {
  const std::string first = ShardWriter::shard_name(pattern, 0);
  const std::string last = ShardWriter::shard_name(pattern, count == 0 ? 0 : count - 1);
  if (count <= 1) {
    return first;
  }
  // The number is where the names differ; widen to the digits around it.
  std::size_t a = 0;
  while (a < first.size() && first[a] == last[a]) {
    ++a;
  }
  while (a > 0 && std::isdigit(static_cast<unsigned char>(first[a - 1]))) {
    --a;
  }
  std::size_t b = a;
  while (b < last.size() && std::isdigit(static_cast<unsigned char>(last[b]))) {
    ++b;
  }
  std::size_t b_first = a;
  while (b_first < first.size() && std::isdigit(static_cast<unsigned char>(first[b_first]))) {
    ++b_first;
  }
  return fmt::format("{}{{{}..{}}}{}", first.substr(0, a), first.substr(a, b_first - a), last.substr(a, b - a),
                     last.substr(b));
}

std::vector<ConvertedSplit> convert_fashion_mnist(const FashionMnistOptions& options) {
  std::vector<ConvertedSplit> out;
  for (const auto& [split, prefix] : {std::pair{"train", "train"}, std::pair{"test", "t10k"}}) {
    const auto images_path = options.source / fmt::format("{}-images-idx3-ubyte.gz", prefix);
    const auto labels_path = options.source / fmt::format("{}-labels-idx1-ubyte.gz", prefix);
    std::vector<unsigned char> images = read_gz(images_path);
    std::vector<unsigned char> labels = read_gz(labels_path);
    if (images.size() < 16 || be32(images.data()) != 0x803 || labels.size() < 8 || be32(labels.data()) != 0x801) {
      throw IoError(fmt::format("{} / {}: not IDX image/label files", images_path.string(), labels_path.string()));
    }
    const std::uint32_t count = be32(images.data() + 4);
    const std::uint32_t rows = be32(images.data() + 8);
    const std::uint32_t cols = be32(images.data() + 12);
    if (be32(labels.data() + 4) != count || images.size() != 16 + std::uint64_t{count} * rows * cols ||
        labels.size() != 8 + std::uint64_t{count}) {
      throw IoError(fmt::format("{}: image and label counts or sizes disagree", images_path.string()));
    }
    const std::uint64_t n = options.limit > 0 ? std::min<std::uint64_t>(options.limit, count) : count;
    const std::string pattern = (options.out / fmt::format("fmnist-{}-%06d.tar", split)).string();
    ShardWriter writer(pattern, {.max_samples = options.per_shard});
    const std::size_t pixels = std::size_t{rows} * cols;
    for (std::uint64_t i = 0; i < n; ++i) {
      OutSample s;
      s.key = fmt::format("{}-{:06}", split, i);
      s.fields["npy"] = encode_npy(DType::kUInt8, {std::int64_t{rows}, std::int64_t{cols}},
                                   std::as_bytes(std::span(images.data() + 16 + i * pixels, pixels)));
      s.fields["cls"] = std::to_string(labels[8 + i]);
      writer.write(s);
    }
    writer.close();
    out.push_back(ConvertedSplit{split, brace_spec(pattern, writer.shards().size()), writer.shards(), n});
  }
  return out;
}

}  // namespace tessera::datasets
