#pragma once

// Logging: spdlog with a "[rank r/n]" prefix on every line.
//
// Code logs through spdlog's free functions (spdlog::info, spdlog::warn, ...)
// with fmt syntax. configure_logging() installs the process's logger once, in
// main: on the console INFO and below appear on rank 0 only, WARN and above on
// every rank; the per-rank log file in the run directory gets every level of
// its rank. Library code never writes to stdout; stdout is for command output.

#include <filesystem>
#include <string_view>

namespace tessera::runtime {

struct LogOptions {
  int rank = 0;                    // this rank
  int size = 1;                    // world size
  std::string_view level = "info"; // trace|debug|info|warn|error
};

// Installs the console logger. Safe to call again (e.g. once the rank is known).
void configure_logging(const LogOptions& options);

// Adds the per-rank log file (appended across restarts) to the logger.
void add_log_file(const std::filesystem::path& file);

// Flushes every sink (before exit or abort).
void flush_logs() noexcept;

}  // namespace tessera::runtime
