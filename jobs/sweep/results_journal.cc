#include "jobs/sweep/results_journal.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "jobs/sweep/byte_stream.h"
#include "runtime/error.h"

namespace tessera::jobs::sweep {
namespace {

constexpr char kMagic[4] = {'T', 'S', 'J', '1'};
constexpr std::size_t kHeader = 24;

}  // namespace

ResultsJournal::ResultsJournal(std::filesystem::path path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw IoError(fmt::format("open {}: {}", path_.string(), system_message(errno)));
  }
}

ResultsJournal::~ResultsJournal() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void ResultsJournal::append(const std::string& task_id, std::int64_t chunk, const ChunkResult& result) {
  detail::ByteWriter payload;
  payload.str(task_id);
  payload.i64(chunk);
  payload.result(result);
  const std::string& body = payload.bytes();
  std::string record(kHeader, '\0');
  std::memcpy(record.data(), kMagic, 4);
  const std::uint64_t size = body.size();
  const std::uint64_t hash = XXH3_64bits(body.data(), body.size());
  std::memcpy(record.data() + 8, &size, 8);
  std::memcpy(record.data() + 16, &hash, 8);
  record += body;
  const char* p = record.data();
  std::size_t left = record.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError(fmt::format("write {}: {}", path_.string(), system_message(errno)));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void ResultsJournal::clear() {
  if (::ftruncate(fd_, 0) != 0) {
    throw IoError(fmt::format("truncate {}: {}", path_.string(), system_message(errno)));
  }
}

std::size_t ResultsJournal::replay(const std::filesystem::path& path, const Visitor& visit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return 0;
  }
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t pos = 0;
  std::size_t records = 0;
  while (data.size() - pos >= kHeader) {
    std::uint64_t size = 0;
    std::uint64_t hash = 0;
    std::memcpy(&size, data.data() + pos + 8, 8);
    std::memcpy(&hash, data.data() + pos + 16, 8);
    if (std::memcmp(data.data() + pos, kMagic, 4) != 0 || size > data.size() - pos - kHeader) {
      break;
    }
    const std::string_view body(data.data() + pos + kHeader, size);
    if (XXH3_64bits(body.data(), body.size()) != hash) {
      break;
    }
    detail::ByteReader reader(body);
    std::string id = reader.str();
    const std::int64_t chunk = reader.i64();
    visit(id, chunk, reader.result());
    ++records;
    pos += kHeader + size;
  }
  if (pos != data.size()) {
    spdlog::warn("{}: ignoring {} bytes after the last complete record (a write cut short)", path.string(),
                 data.size() - pos);
  }
  return records;
}

}  // namespace tessera::jobs::sweep
