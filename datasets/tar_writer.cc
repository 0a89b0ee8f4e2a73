#include "datasets/tar_writer.h"

#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::datasets {
namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kRecord = 10240;

void put_octal(char* field, std::size_t len, std::uint64_t value) {
  // len-1 octal digits, zero-padded, then NUL.
  std::string digits = fmt::format("{:0{}o}", value, len - 1);
  std::memcpy(field, digits.data(), len - 1);
  field[len - 1] = '\0';
}

std::string pax_record(std::string_view key, std::string_view value) {
  // "LEN key=value\n" where LEN counts itself.
  const std::size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  std::size_t len = body + 1;
  while (std::to_string(len).size() + body != len) {
    len = std::to_string(len).size() + body;
  }
  return fmt::format("{} {}={}\n", len, key, value);
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 128 || c == '\0') {
      return false;
    }
  }
  return true;
}

}  // namespace

struct TarWriter::Sink {
  std::FILE* file = nullptr;
  gzFile gz = nullptr;
};

TarWriter::TarWriter(std::filesystem::path path, TarWriterOptions options)
    : path_(std::move(path)), partial_(path_.string() + ".partial"), options_(options),
      sink_(std::make_unique<Sink>()) {
  const std::string name = path_.filename().string();
  const bool gzip = name.ends_with(".gz") || name.ends_with(".tgz");
  if (gzip) {
    sink_->gz = gzopen(partial_.c_str(), fmt::format("wb{}", options_.gzip_level).c_str());
    if (sink_->gz != nullptr) {
      gzbuffer(sink_->gz, 1 << 20);
    }
  } else {
    sink_->file = std::fopen(partial_.c_str(), "wb");
    if (sink_->file != nullptr) {
      std::setvbuf(sink_->file, nullptr, _IOFBF, 1 << 20);
    }
  }
  if (sink_->file == nullptr && sink_->gz == nullptr) {
    throw IoError(fmt::format("cannot create shard {}: {}", partial_.string(), system_message(errno)));
  }
}

TarWriter::~TarWriter() {
  if (sink_->file != nullptr || sink_->gz != nullptr) {
    if (sink_->file != nullptr) {
      std::fclose(sink_->file);
    }
    if (sink_->gz != nullptr) {
      gzclose(sink_->gz);
    }
    std::error_code ignored;
    std::filesystem::remove(partial_, ignored);
  }
}

void TarWriter::put(std::span<const std::byte> data) {
  if (data.empty()) {
    return;
  }
  bool ok = sink_->file != nullptr
                ? std::fwrite(data.data(), 1, data.size(), sink_->file) == data.size()
                : gzwrite(sink_->gz, data.data(), static_cast<unsigned>(data.size())) == static_cast<int>(data.size());
  if (!ok) {
    throw IoError(fmt::format("cannot write shard {}: {}", partial_.string(), system_message(errno)));
  }
  bytes_ += data.size();
}

void TarWriter::header(std::string_view name, std::uint64_t size, char type) {
  std::array<char, kBlock> h{};
  std::string pax;
  std::string_view short_name = name;
  std::string_view prefix;
  if (name.size() > 100 || !is_ascii(name)) {
    // Try ustar's prefix split at a '/' first; else a PAX path record.
    const std::size_t split = name.size() <= 256 ? name.rfind('/', 155) : std::string_view::npos;
    if (is_ascii(name) && split != std::string_view::npos && split > 0 && name.size() - split - 1 <= 100 &&
        name.size() - split - 1 > 0) {
      prefix = name.substr(0, split);
      short_name = name.substr(split + 1);
    } else {
      pax += pax_record("path", name);
      short_name = name.substr(0, std::min<std::size_t>(name.size(), 99));
    }
  }
  if (size > 077777777777ULL) {
    pax += pax_record("size", std::to_string(size));
  }
  if (!pax.empty()) {
    header(fmt::format("PaxHeader/{}", short_name.substr(0, 80)), pax.size(), 'x');
    put(std::as_bytes(std::span(pax)));
    static constexpr std::array<std::byte, kBlock> zeros{};
    put(std::span(zeros).first((kBlock - pax.size() % kBlock) % kBlock));
  }
  std::memcpy(h.data(), short_name.data(), std::min<std::size_t>(short_name.size(), 100));
  put_octal(&h[100], 8, type == '5' ? 0755 : 0444);
  put_octal(&h[108], 8, 0);
  put_octal(&h[116], 8, 0);
  put_octal(&h[124], 12, size > 077777777777ULL ? 0 : size);
  put_octal(&h[136], 12, static_cast<std::uint64_t>(std::max<std::int64_t>(options_.mtime, 0)));
  std::memset(&h[148], ' ', 8);
  h[156] = type;
  std::memcpy(&h[257], "ustar\0" "00", 8);
  std::memcpy(&h[345], prefix.data(), std::min<std::size_t>(prefix.size(), 155));
  unsigned sum = 0;
  for (char c : h) {
    sum += static_cast<unsigned char>(c);
  }
  std::string chk = fmt::format("{:06o}", sum);
  std::memcpy(&h[148], chk.data(), 6);
  h[154] = '\0';
  h[155] = ' ';
  put(std::as_bytes(std::span(h)));
}

void TarWriter::add(std::string_view name, std::span<const std::byte> data) {
  TESSERA_CHECK(sink_->file != nullptr || sink_->gz != nullptr, "add() after close() on {}", path_.string());
  header(name, data.size(), '0');
  put(data);
  static constexpr std::array<std::byte, kBlock> zeros{};
  put(std::span(zeros).first((kBlock - data.size() % kBlock) % kBlock));
}

void TarWriter::write(const OutSample& sample) {
  if (sample.key.empty()) {
    throw ConfigError(fmt::format("a sample written to {} has an empty key", path_.string()));
  }
  for (const auto& [ext, data] : sample.fields) {
    add(sample.key + "." + ext, data);
  }
  ++samples_;
}

void TarWriter::close() {
  if (sink_->file == nullptr && sink_->gz == nullptr) {
    return;
  }
  static constexpr std::array<std::byte, kBlock> zeros{};
  put(zeros);
  put(zeros);
  while (bytes_ % kRecord != 0) {
    put(zeros);
  }
  bool ok = true;
  if (sink_->file != nullptr) {
    ok = std::fflush(sink_->file) == 0;
    ok = std::fclose(sink_->file) == 0 && ok;
    sink_->file = nullptr;
  } else {
    ok = gzclose(sink_->gz) == Z_OK;
    sink_->gz = nullptr;
  }
  std::error_code ec;
  if (ok) {
    std::filesystem::rename(partial_, path_, ec);
  }
  if (!ok || ec) {
    std::filesystem::remove(partial_, ec);
    throw IoError(fmt::format("cannot finish shard {}: {}", path_.string(), system_message(errno)));
  }
}

}  // namespace tessera::datasets
