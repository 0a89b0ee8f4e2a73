#include "runtime/log.h"

#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

std::string pattern(const LogOptions& options) {
  // %^...%$ colours the level where the terminal supports it.
  return fmt::format("[%H:%M:%S] [rank {}/{}] [%^%l%$] %v", options.rank, options.size);
}

spdlog::level::level_enum parse_level(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    throw ConfigError(fmt::format("log level '{}' is not one of trace, debug, info, warn, error",
                                  level));
  }
  return parsed;
}

}  // namespace

void configure_logging(const LogOptions& options) {
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  const auto level = parse_level(options.level);
  console->set_level(options.rank == 0 ? level : std::max(level, spdlog::level::warn));
  auto logger = std::make_shared<spdlog::logger>("tessera", console);
  logger->set_level(level);
  logger->set_pattern(pattern(options));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

void add_log_file(const std::filesystem::path& file) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), /*truncate=*/false);
  sink->set_level(spdlog::level::trace);
  auto logger = spdlog::default_logger();
  sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      "[%Y-%m-%d %H:%M:%S.%e] [%l] %v"));
  logger->sinks().push_back(std::move(sink));
}

void flush_logs() noexcept {
  try {
    spdlog::default_logger()->flush();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to do if flushing fails
  }
}

}  // namespace tessera::runtime
