#include "runtime/error.h"

#include <cstring>

namespace tessera {
namespace {

std::string join_issues(const std::vector<ConfigIssue>& issues) {
  std::string out;
  for (const ConfigIssue& issue : issues) {
    if (!out.empty()) {
      out += '\n';
    }
    out += issue.to_string();
  }
  return out;
}

std::string describe_site(const CommSite& s) {
  std::string out = fmt::format("{} {}", s.backend, s.op);
  if (s.seq >= 0) {
    out += fmt::format(" #{}", s.seq);
  }
  out += fmt::format(" on rank {}/{}", s.rank, s.size);
  if (s.peer >= 0) {
    out += fmt::format(" (peer {})", s.peer);
  }
  return out;
}

}  // namespace

std::string ConfigIssue::to_string() const {
  std::string where = file.empty() ? std::string("<config>") : file;
  if (line > 0) {
    where += fmt::format(":{}", line);
  }
  if (key.empty()) {
    return fmt::format("{}: {}", where, rule);
  }
  if (value.empty()) {
    return fmt::format("{}: {} ({})", where, key, rule);
  }
  return fmt::format("{}: {} = {} ({})", where, key, value, rule);
}

ConfigError::ConfigError(std::vector<ConfigIssue> issues)
    : Error(join_issues(issues)), issues_(std::move(issues)) {}

ConfigError::ConfigError(const std::string& message)
    : Error(message), issues_{ConfigIssue{.rule = message}} {}

DataError::DataError(std::string url, std::string member, std::uint64_t offset,
                     const std::string& what)
    : Error(fmt::format("shard {}{}, offset {}: {}", url,
                        member.empty() ? "" : ", member " + member, offset, what)),
      url_(std::move(url)),
      member_(std::move(member)),
      offset_(offset) {}

CommError::CommError(CommSite site, const std::string& what)
    : Error(fmt::format("{}: {}", describe_site(site), what)), site_(std::move(site)) {}

CheckpointError::CheckpointError(std::filesystem::path path, const std::string& what)
    : Error(fmt::format("checkpoint {}: {}", path.string(), what)), path_(std::move(path)) {}

std::string system_message(int errnum) {
  char buffer[256];
  // GNU strerror_r returns the message pointer (which may not be `buffer`).
  return ::strerror_r(errnum, buffer, sizeof buffer);
}

}  // namespace tessera
