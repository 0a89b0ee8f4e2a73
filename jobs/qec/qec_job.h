#pragma once

// The `qec` job kind: repetition-code memory sweeps.
//
//   job: qec
//   sweep:
//     grid: {distance: [3, 5, 7], rounds: 10, p: [0.001, 0.002], basis: [z, x]}
//     max_shots: 10000000
//     max_errors: 1000
//   qec: {batch_shots: 1024, plot: true}
//
// Runs every grid point through the sweep engine (jobs/sweep: dynamic chunks
// over ranks, results.h5 + results.csv, resume), then on rank 0 writes
// analysis.txt (P_L and eps with 95 % intervals per point, Lambda per basis,
// p, rounds and decoder) and epsilon_vs_distance.png into the run directory.

#include "jobs/sweep/sweep_config.h"
#include "runtime/job.h"
#include "runtime/job_registry.h"

namespace tessera::jobs::qec {

struct QecOptions {
  int batch_shots = 1024;  // shots per frame-simulator pass (a multiple of 64)
  bool plot = true;        // draw epsilon_vs_distance.png at the end

  void fields(config::Fields& f);
};

struct QecConfig final : runtime::JobConfig {
  sweep::SweepConfig sweep;
  QecOptions qec;

  QecConfig();
  void fields(config::Fields& f) override;
  // The grid and limits may change between runs: new points are added,
  // finished ones skipped, raised limits continue the tasks.
  std::vector<std::string> resume_may_change() const override { return {"sweep", "qec"}; }
};

class QecJob final : public runtime::Job {
 public:
  explicit QecJob(const QecConfig& config) : config_(config) {}
  void run(runtime::JobContext& context) override;

 private:
  QecConfig config_;
};

void register_qec(runtime::JobRegistry& registry);

}  // namespace tessera::jobs::qec
