#include "tests/datasets/testing/shards.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "datasets/fashion_mnist.h"
#include "datasets/npy.h"
#include "datasets/shard_writer.h"
#include "tests/testing/temp_dir.h"

namespace tessera::datasets::testing {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string tar_bytes(const Members& members) {
  tessera::testing::TempDir dir;
  TarWriter writer(dir / "a.tar");
  for (const auto& [name, content] : members) {
    writer.add(name, content);
  }
  writer.close();
  return slurp(dir / "a.tar");
}

void fix_checksum(std::string& tar, std::size_t offset) {
  std::memset(&tar[offset + 148], ' ', 8);
  unsigned sum = 0;
  for (std::size_t i = 0; i < 512; ++i) {
    sum += static_cast<unsigned char>(tar[offset + i]);
  }
  std::string chk = fmt::format("{:06o}", sum);
  std::memcpy(&tar[offset + 148], chk.data(), 6);
  tar[offset + 154] = '\0';
}

std::vector<Sample> read_samples(const std::string& bytes, ShardReaderOptions options) {
  auto source = std::make_unique<MemorySource>("mem.tar", std::as_bytes(std::span(bytes)));
  ShardReader reader(std::move(source), std::make_shared<const std::string>("mem.tar"), 0, options);
  std::vector<Sample> out;
  Sample s;
  while (reader.next(s)) {
    out.push_back(std::move(s));
    s = Sample{};
  }
  reader.finish();
  return out;
}

std::vector<std::string> describe(const std::vector<Sample>& samples) {
  std::vector<std::string> out;
  for (const Sample& s : samples) {
    std::string line = s.key + ":";
    for (const SampleField& f : s.fields) {
      line += fmt::format(" {}={}", f.ext, std::string(reinterpret_cast<const char*>(f.data.get()), f.size));
    }
    out.push_back(line);
  }
  return out;
}

void write_numbered_shard(const std::filesystem::path& path, const std::string& prefix, std::uint64_t first,
                          std::uint64_t n) {
  TarWriter writer(path);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t id = first + i;
    OutSample s;
    s.key = fmt::format("{}{:06}", prefix, id);
    s.fields["cls"] = std::to_string(id);
    s.fields["txt"] = fmt::format("sample {}", id);
    const unsigned char v[4] = {static_cast<unsigned char>(id & 0xff), static_cast<unsigned char>((id >> 8) & 0xff),
                                static_cast<unsigned char>((id >> 16) & 0xff), 7};
    s.fields["npy"] = encode_npy(DType::kUInt8, {4}, std::as_bytes(std::span(v)));
    writer.write(s);
  }
  writer.close();
}

std::string write_numbered_shards(const std::filesystem::path& dir, const std::vector<std::uint64_t>& per_shard) {
  std::uint64_t first = 0;
  const std::string pattern = (dir / "s-%06d.tar").string();
  for (std::size_t i = 0; i < per_shard.size(); ++i) {
    write_numbered_shard(ShardWriter::shard_name(pattern, i), "k", first, per_shard[i]);
    first += per_shard[i];
  }
  return brace_spec(pattern, per_shard.size());
}

}  // namespace tessera::datasets::testing
