#pragma once

// results.h5: the durable state of a sweep, and its CSV export.
//
// Layout (HDF5):
//   /                 attributes: format = "tessera-sweep-1", job, config (YAML)
//   /tasks/           one row per task, as parallel 1-D datasets:
//       strong_id, decoder, json_metadata, params, custom_counts (strings)
//       shots, errors, discards, chunks (int64), seconds (float64), finished (int8)
//   /arrays/<strong_id>/<name>        the task's summed arrays (float64, N-d)
//   /pending/<strong_id>/<chunk>/     a chunk completed beyond the contiguous
//       ones: attributes shots, errors, discards, seconds, custom_counts;
//       datasets for its arrays
//
// write() goes to results.h5.tmp, fsyncs and renames, so a reader (or a
// resumed run) sees the old snapshot or the new one, never a mix.
//
// CSV (results.csv) has sinter's columns, one row per task:
//   shots,errors,discards,seconds,decoder,strong_id,json_metadata,custom_counts
// with JSON fields quoted CSV-style, so `sinter plot --in results.csv` reads it.

#include <filesystem>
#include <string>
#include <vector>

#include "jobs/sweep/task_record.h"

namespace tessera::jobs::sweep {

struct ResultsMetadata {
  std::string job;     // job kind
  std::string config;  // resolved YAML of the run that wrote it
};

// Writes `records` atomically to `path`. Throws IoError.
void write_results(const std::filesystem::path& path, const std::vector<TaskRecord>& records,
                   const ResultsMetadata& metadata);

// Reads every record. Throws IoError (unreadable) or DataError (not a sweep file).
std::vector<TaskRecord> read_results(const std::filesystem::path& path, ResultsMetadata* metadata = nullptr);

// sinter's CSV text for `records`.
std::string results_csv(const std::vector<TaskRecord>& records);

}  // namespace tessera::jobs::sweep
