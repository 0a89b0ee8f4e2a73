#include "runtime/slurm_job.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <vector>

#include <fmt/format.h>

namespace tessera::runtime {
namespace {

// Job ids are digits, optionally "<array job>_<task>"; nothing else reaches a shell.
bool safe_job_id(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '_'; });
}

std::optional<long> number(std::string_view text) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

CommandOutcome run_shell(const std::string& command) {
  CommandOutcome outcome;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return outcome;
  }
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    outcome.output += buffer.data();
  }
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

}  // namespace

std::optional<std::chrono::seconds> parse_slurm_time_left(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  long days = 0;
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto d = number(text.substr(0, dash));
    if (!d) {
      return std::nullopt;
    }
    days = *d;
    text.remove_prefix(dash + 1);
  }
  std::vector<long> parts;
  for (;;) {
    auto colon = text.find(':');
    auto part = number(text.substr(0, colon));
    if (!part) {
      return std::nullopt;
    }
    parts.push_back(*part);
    if (colon == std::string_view::npos) {
      break;
    }
    text.remove_prefix(colon + 1);
  }
  if (parts.size() > 3) {
    return std::nullopt;
  }
  long seconds = 0;
  for (long p : parts) {
    seconds = seconds * 60 + p;
  }
  // "D-HH" and "D-HH:MM" count from hours.
  if (days > 0 && parts.size() == 1) {
    seconds *= 3600;
  } else if (days > 0 && parts.size() == 2) {
    seconds *= 60;
  }
  return std::chrono::seconds(days * 86400 + seconds);
}

std::optional<std::chrono::seconds> query_slurm_time_left(const std::string& job_id) {
  if (!safe_job_id(job_id)) {
    return std::nullopt;
  }
  CommandOutcome outcome = run_shell(fmt::format("squeue -h -j {} -o %L", job_id));
  if (outcome.exit_code != 0) {
    return std::nullopt;
  }
  return parse_slurm_time_left(outcome.output);
}

CommandOutcome requeue_slurm_job(const std::string& job_id) {
  if (!safe_job_id(job_id)) {
    return {-1, fmt::format("'{}' is not a Slurm job id", job_id)};
  }
  return run_shell(fmt::format("scontrol requeue {}", job_id));
}

}  // namespace tessera::runtime
