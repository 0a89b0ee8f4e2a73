#pragma once

// The tessera error taxonomy. Every failure a user can see is one of these;
// library status codes (MPI, NCCL, CUDA, HDF5) are turned into them at the
// call site by one macro each (TESSERA_MPI_CHECK, TESSERA_H5_CHECK, ...).
//
// A message says what happened, what was expected, where, and what to do:
//   configs/x.yaml:12: optim.lr = -0.1 (must be > 0)
//   shard data/train-000003.tar, member n0042.npy, offset 91136: truncated member
//   mpi all_reduce #17 on rank 1/4: timed out after 600 s

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace tessera {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One problem in a configuration: where it is and which rule it breaks.
struct ConfigIssue {
  std::string file;      // config file, or "<command line>" for overrides
  int line = 0;          // 1-based; 0 when unknown
  std::string key;       // dotted key path, e.g. "optim.lr"
  std::string value;     // the offending value as written ("" if absent)
  std::string rule;      // what was expected, e.g. "must be > 0"

  std::string to_string() const;
};

// User input that cannot be accepted. Carries every issue found, so
// `tessera validate` can print them all at once.
class ConfigError : public Error {
 public:
  explicit ConfigError(std::vector<ConfigIssue> issues);
  explicit ConfigError(const std::string& message);  // an issue without a location
  const std::vector<ConfigIssue>& issues() const { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
};

// Bad or unreadable data: names the shard URL, the member and the byte offset.
class DataError : public Error {
 public:
  DataError(std::string url, std::string member, std::uint64_t offset, const std::string& what);
  const std::string& url() const { return url_; }
  const std::string& member() const { return member_; }
  std::uint64_t offset() const { return offset_; }

 private:
  std::string url_;
  std::string member_;
  std::uint64_t offset_;
};

// Where a communication error happened.
struct CommSite {
  std::string backend;   // "mpi", "nccl", "local", "store"
  std::string op;        // "all_reduce", "recv", ...
  int rank = -1;         // this rank
  int size = 0;          // communicator size
  std::int64_t seq = -1; // per-communicator sequence number, -1 if none
  int peer = -1;         // peer rank for point-to-point ops, -1 if none
};

class CommError : public Error {
 public:
  CommError(CommSite site, const std::string& what);
  const CommSite& site() const { return site_; }

 private:
  CommSite site_;
};

class TimeoutError : public CommError {
 public:
  using CommError::CommError;
};

class CheckpointError : public Error {
 public:
  CheckpointError(std::filesystem::path path, const std::string& what);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Files and sockets: the path or peer plus the system's message.
class IoError : public Error {
 public:
  using Error::Error;
};

// A broken invariant inside tessera (a bug, not bad input).
class InternalError : public Error {
 public:
  using Error::Error;
};

// "open('x'): No such file or directory" from errno.
std::string system_message(int errnum);

}  // namespace tessera

// Throws InternalError with file:line and the condition text when `cond` is false.
#define TESSERA_CHECK(cond, ...)                                                   \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      throw ::tessera::InternalError(::fmt::format(                                \
          "{}:{}: check failed: {} ({})", __FILE__, __LINE__, #cond,               \
          ::fmt::format(__VA_ARGS__)));                                            \
    }                                                                              \
  } while (false)
