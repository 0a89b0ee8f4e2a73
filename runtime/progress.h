#pragma once

// Progress: the line a long job prints on rank 0 every few seconds:
//   train step 1200/5000 (24.0%) | 35.2 step/s | ETA 1m48s | loss 0.5312

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/config/fields.h"

namespace tessera::runtime {

class Progress {
 public:
  // `what` names the unit ("train step", "shots"); `total` 0 means unknown.
  // A disabled progress (ranks other than 0) prints nothing.
  Progress(std::string what, std::int64_t total, config::Seconds every, bool enabled);

  // Reports that `done` units are complete (a resumed run starts above 0).
  // Prints when `every` has passed since the last line.
  void update(std::int64_t done, std::string_view extra = {});
  // Prints the final line.
  void finish(std::int64_t done, std::string_view extra = {});

  // The line for `done` at `elapsed` seconds since the first update.
  std::string line(std::int64_t done, double elapsed_seconds, std::string_view extra) const;

 private:
  std::string what_;
  std::int64_t total_;
  config::Seconds every_;
  bool enabled_;
  bool started_ = false;
  std::int64_t first_done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

// "1h02m", "3m05s", "42s".
std::string format_eta(double seconds);

}  // namespace tessera::runtime
