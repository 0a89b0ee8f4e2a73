#pragma once

// PipeSource: the stdout of a shell command ("pipe:CMD", run as /bin/sh -c CMD
// in its own process group, stdin from /dev/null).
//
// When the output ends, the command is reaped: a non-zero exit status (other
// than 141, SIGPIPE, as in webdataset) is a DataError carrying the tail of its
// stderr. A read that waits longer than the timeout without output is a
// DataError too. Destroying the source before the end kills the command's
// process group and reaps it, so no child outlives its shard.

#include <sys/types.h>

#include <string>

#include "datasets/byte_source.h"

namespace tessera::datasets {

class PipeSource final : public ByteSource {
 public:
  PipeSource(std::string url, const std::string& command, config::Seconds timeout);
  ~PipeSource() override;

  std::size_t read(std::span<std::byte> dst) override;
  void finish() override;

 private:
  void reap(bool kill_first);
  std::string stderr_tail() const;

  std::string command_;
  config::Seconds timeout_;
  pid_t pid_ = -1;
  int out_fd_ = -1;   // the command's stdout
  int err_fd_ = -1;   // an unlinked temp file holding its stderr
  bool eof_ = false;
};

}  // namespace tessera::datasets
