#pragma once

// TaskRecord: one row of results.h5, what the sweep knows about a task.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "jobs/sweep/task_result.h"

namespace tessera::jobs::sweep {

struct TaskRecord {
  std::string id;                  // strong id
  nlohmann::json params;           // canonical parameters
  std::string decoder;             // sinter's decoder column
  nlohmann::json metadata;         // sinter's json_metadata
  ChunkResult total;               // sum over chunks 0 .. chunks-1
  std::int64_t chunks = 0;         // contiguous chunks included in `total`
  bool finished = false;           // the limits were reached
  // Chunks completed beyond the contiguous ones (they join `total` once the
  // gap closes; kept so a kill loses only chunks that were still running).
  std::map<std::int64_t, ChunkResult> pending;
};

}  // namespace tessera::jobs::sweep
