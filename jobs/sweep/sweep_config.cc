#include "jobs/sweep/sweep_config.h"

#include <fmt/format.h>

#include "jobs/sweep/grid.h"
#include "runtime/error.h"

namespace tessera::jobs::sweep {

void SweepConfig::fields(config::Fields& f) {
  f.raw("grid", grid, "parameter grid: a map of value lists (their product) or a list of such maps");
  f("max_shots", max_shots, "work units per task (QEC: shots)", config::positive<std::int64_t>());
  f("max_errors", max_errors, "errors per task after which it stops (0: no limit)",
    config::at_least<std::int64_t>(0));
  f("first_chunk_shots", first_chunk_shots, "size of a task's first chunk; sizes double from here",
    config::positive<std::int64_t>());
  f("max_chunk_shots", max_chunk_shots, "largest chunk (the unit handed to a rank)",
    config::positive<std::int64_t>());
  f("flush_every", flush_every, "seconds between results.h5 snapshots (every chunk is journaled at once)");
  if (!f.parsing()) {
    return;
  }
  if (max_chunk_shots < first_chunk_shots) {
    f.issue("max_chunk_shots", fmt::format("must be >= first_chunk_shots ({})", first_chunk_shots));
  }
  try {
    const std::vector<GridPoint> points = expand_grid(grid);
    if (kernel != nullptr) {
      for (const GridPoint& p : points) {
        try {
          kernel->describe(p.params);
        } catch (const ConfigError& e) {
          f.issue("grid", fmt::format("point {}: {}", p.params.dump(), e.what()));
          return;
        }
      }
    }
  } catch (const ConfigError& e) {
    f.issue("grid", e.what());
  }
}

}  // namespace tessera::jobs::sweep
