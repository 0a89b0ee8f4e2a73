#include "runtime/progress.h"

#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tessera::runtime {

Progress::Progress(std::string what, std::int64_t total, config::Seconds every, bool enabled)
    : what_(std::move(what)), total_(total), every_(every), enabled_(enabled) {}

void Progress::update(std::int64_t done, std::string_view extra) {
  if (!enabled_) {
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (!started_) {
    started_ = true;
    first_done_ = done;
    start_ = now;
    last_print_ = now;
    return;
  }
  if (now - last_print_ >= every_) {
    last_print_ = now;
    spdlog::info("{}", line(done, std::chrono::duration<double>(now - start_).count(), extra));
  }
}

void Progress::finish(std::int64_t done, std::string_view extra) {
  if (!enabled_) {
    return;
  }
  if (!started_) {
    update(done, extra);
  }
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  spdlog::info("{}", line(done, elapsed, extra));
}

std::string Progress::line(std::int64_t done, double elapsed_seconds, std::string_view extra) const {
  std::string out = total_ > 0 ? fmt::format("{} {}/{} ({:.1f}%)", what_, done, total_,
                                             100.0 * static_cast<double>(done) / static_cast<double>(total_))
                               : fmt::format("{} {}", what_, done);
  double rate = elapsed_seconds > 0 ? static_cast<double>(done - first_done_) / elapsed_seconds : 0.0;
  if (rate > 0) {
    out += fmt::format(" | {:.4g}/s", rate);
    if (total_ > 0 && done < total_) {
      out += fmt::format(" | ETA {}", format_eta(static_cast<double>(total_ - done) / rate));
    }
  }
  if (!extra.empty()) {
    out += fmt::format(" | {}", extra);
  }
  return out;
}

std::string format_eta(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) {
    return "?";
  }
  auto s = static_cast<std::int64_t>(std::llround(seconds));
  if (s >= 3600) {
    return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
  }
  if (s >= 60) {
    return fmt::format("{}m{:02d}s", s / 60, s % 60);
  }
  return fmt::format("{}s", s);
}

}  // namespace tessera::runtime
