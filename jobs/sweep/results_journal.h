#pragma once

// ResultsJournal: results.journal, the append-only log of completed chunks
// between two results.h5 snapshots. Each chunk's result is appended with one
// write() as soon as it arrives, so killing the process loses only chunks
// still being computed; after a snapshot is renamed into place the journal is
// emptied. On resume the journal is replayed over the snapshot; replaying a
// chunk the snapshot already holds is a no-op (records are keyed by task id
// and chunk index), and a torn last record (killed mid-write) is ignored.
//
// Record: "TSJ1", u32 0, u64 payload bytes, u64 XXH3-64 of the payload, then
// the payload (task id, chunk index, ChunkResult in byte_stream.h's form).
// Not thread-safe.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "jobs/sweep/task_result.h"

namespace tessera::jobs::sweep {

class ResultsJournal {
 public:
  // Opens `path` for appending, creating it. Throws IoError.
  explicit ResultsJournal(std::filesystem::path path);
  ~ResultsJournal();
  ResultsJournal(const ResultsJournal&) = delete;
  ResultsJournal& operator=(const ResultsJournal&) = delete;

  void append(const std::string& task_id, std::int64_t chunk, const ChunkResult& result);
  // Empties the journal (after a snapshot holding everything in it).
  void clear();

  using Visitor = std::function<void(const std::string& task_id, std::int64_t chunk, ChunkResult result)>;
  // Calls `visit` for every complete record of `path` in order (nothing if
  // the file does not exist). Returns the number of records.
  static std::size_t replay(const std::filesystem::path& path, const Visitor& visit);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace tessera::jobs::sweep
