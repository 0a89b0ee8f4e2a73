// tessera status RUN_DIR: where a run stands, from what it left on disk and
// (for submitted runs) what Slurm says about its job.
//
//   run         /abs/runs/c: job 'c' (test_count)
//   slurm       job 12 RUNNING on vm, 00:00:35 of 00:05:00, partition debug, 1 restart
//   progress    step 120/400 (30.0%) | 40/s | ETA 7s  (4s ago)
//   metrics     step 120: agreed_step 120, value 120
//   checkpoint  step-00000100 (2 kept)
//   starts      3 (Slurm restarts 0, 1, 2); the last one finished
//
// Sources: config.yaml (or submit.yaml), slurm-jobs.txt (written by submit),
// scontrol, the newest progress line and the start/finish lines of
// logs/rank-00000.log, metrics.h5, checkpoints/.

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "launch/batch_script.h"
#include "launch/cli.h"
#include "launch/slurm_client.h"
#include "runtime/error.h"
#include "runtime/metrics_writer.h"
#include "runtime/run_dir.h"

namespace tessera::launch {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxLogBytes = 64u << 20;  // read at most the last 64 MiB of a log
constexpr std::size_t kMaxMetricsShown = 8;

std::string read_tail(const fs::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {};
  }
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string text(size - start, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

// What the rank-0 log tells about the run's starts and progress.
struct LogSummary {
  int starts = 0;               // "tessera <version>: job ..." lines
  std::vector<int> restarts;    // Slurm restart count of each start (0 when not under Slurm)
  bool finished = false;        // the newest start reached "job '...' finished"
  std::string stopped;          // "after step 21 (SIGUSR1 received)" when the newest start stopped
  std::string last_start_time;  // "2026-11-22 00:30:11"
  std::string progress;         // the newest progress line
  std::string progress_time;
  std::string last_problem;  // the newest warning/error line since the last start
};

LogSummary summarize_log(const fs::path& log) {
  LogSummary s;
  static const std::regex kLine(
      R"(^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)?\] \[(\w+)\] (.*)$)");
  static const std::regex kStart(R"(^tessera \S+: job '.*' \(.*\) on \d+ ranks? via )");
  static const std::regex kRestart(R"(restart (\d+))");
  static const std::regex kFinished(R"(^job '.*' finished$)");
  static const std::regex kStopped(R"(^job '.*' stopped (after step \d+ \(.*\)))");
  static const std::regex kProgress(R"(^\S.* \d+/\d+ \(\d+(\.\d+)?%\))");
  std::istringstream lines(read_tail(log, kMaxLogBytes));
  std::string text;
  std::smatch m;
  while (std::getline(lines, text)) {
    if (!std::regex_match(text, m, kLine)) {
      continue;
    }
    const std::string time = m[1];
    const std::string level = m[2];
    const std::string message = m[3];
    std::smatch part;
    if (std::regex_search(message, kStart)) {
      ++s.starts;
      s.restarts.push_back(std::regex_search(message, part, kRestart) ? std::stoi(part[1]) : 0);
      s.finished = false;
      s.stopped.clear();
      s.last_start_time = time;
      s.last_problem.clear();
    } else if (std::regex_match(message, kFinished)) {
      s.finished = true;
    } else if (std::regex_search(message, part, kStopped)) {
      s.stopped = part[1];
    } else if (std::regex_search(message, kProgress)) {
      s.progress = message;
      s.progress_time = time;
    } else if (level == "warning" || level == "error" || level == "critical") {
      s.last_problem = fmt::format("{} {}: {}", time, level, message);
    }
  }
  return s;
}

// "4s ago" for a "YYYY-MM-DD HH:MM:SS" local time.
std::string age(const std::string& time) {
  std::tm tm{};
  std::istringstream in(time);
  in >> std::get_time(&tm, "%Y-%m-%d %H:%M:%S");
  if (in.fail()) {
    return {};
  }
  tm.tm_isdst = -1;
  const double seconds = std::difftime(std::time(nullptr), std::mktime(&tm));
  return seconds < 0 ? std::string() : fmt::format("{:.0f}s ago", seconds);
}

std::string slurm_line(const fs::path& run, const std::string& id) {
  if (id.empty()) {
    return "not submitted with tessera submit (no slurm-jobs.txt)";
  }
  if (!SlurmClient::available()) {
    return fmt::format("job {} (Slurm's commands are not on PATH here)", id);
  }
  std::optional<SlurmJob> job = SlurmClient().job(id);
  // Job ids restart when a cluster is rebuilt: only trust a job whose output
  // goes to this run directory.
  const std::string expected = slurm_output_file(run, id).string();
  if (!job || (!job->std_out.empty() && job->std_out != expected)) {
    return fmt::format(
        "job {}: Slurm no longer knows it (it ended more than MinJobAge ago); "
        "its log is {}",
        id,
        expected);
  }
  std::string text = fmt::format("job {} {}", id, job->state);
  if (job->state == "PENDING") {
    text += fmt::format(" (reason {})", job->reason);
  } else {
    text += fmt::format(" on {}, {}", job->nodes, job->run_time);
    if (!job->time_limit.empty()) {
      text += fmt::format(" of {}", job->time_limit);
    }
    if (job->state != "RUNNING" && job->state != "COMPLETING") {
      text += fmt::format(", exit code {}", job->exit_code);
    }
  }
  text += fmt::format(
      ", partition {}, {} restart{}", job->partition, job->restarts, job->restarts == 1 ? "" : "s");
  return text;
}

std::string metrics_line(const fs::path& file) {
  if (!fs::exists(file)) {
    return "none yet";
  }
  // The job opens metrics.h5 only while flushing: retry once if it is busy.
  for (int attempt = 0;; ++attempt) {
    try {
      std::vector<std::string> parts;
      std::int64_t newest = 0;
      std::vector<std::string> names = runtime::list_metrics(file);
      for (const std::string& name : names) {
        runtime::MetricSeries series = runtime::read_metric(file, name);
        if (!series.steps.empty()) {
          newest = std::max(newest, series.steps.back());
        }
      }
      for (const std::string& name : names) {
        runtime::MetricSeries series = runtime::read_metric(file, name);
        if (!series.steps.empty() && series.steps.back() == newest &&
            parts.size() < kMaxMetricsShown) {
          parts.push_back(fmt::format("{} {:.6g}", name, series.values.back()));
        }
      }
      if (names.empty()) {
        return "none yet";
      }
      return fmt::format(
          "step {}: {}{}",
          newest,
          fmt::join(parts, ", "),
          names.size() > parts.size() ? fmt::format(" ({} series)", names.size()) : "");
    } catch (const Error& e) {
      if (attempt == 1) {
        return fmt::format("cannot read {} now: {}", file.string(), e.what());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
}

std::string checkpoint_line(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind("step-", 0) == 0) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  std::string latest;
  std::ifstream(dir / "LATEST") >> latest;
  if (latest.empty() && names.empty()) {
    return "none";
  }
  return fmt::format(
      "{} ({} kept)", latest.empty() ? names.back() + " (no LATEST)" : latest, names.size());
}

int status(const std::string& run_text) {
  const fs::path run = fs::absolute(run_text).lexically_normal();
  const runtime::RunDir dir(run);
  fs::path config = dir.config_file();
  if (!fs::exists(config)) {
    config = run / "submit.yaml";
  }
  if (!fs::exists(config)) {
    throw ConfigError(fmt::format(
        "{} is not a run directory (no config.yaml or submit.yaml): give the output.dir of a job",
        run.string()));
  }
  YAML::Node yaml = YAML::LoadFile(config.string());
  const std::string id = last_submitted_job(run);
  LogSummary log = summarize_log(dir.log_file(0));

  auto row = [](std::string_view key, std::string_view value) {
    fmt::print("{:<11} {}\n", key, value);
  };
  row("run",
      fmt::format(
          "{}: job '{}' ({})",
          run.string(),
          yaml["name"].as<std::string>(""),
          yaml["job"].as<std::string>("?")));
  row("slurm", slurm_line(run, id));
  row("progress",
      log.progress.empty() ? std::string("no progress logged yet")
                           : fmt::format("{}  ({})", log.progress, age(log.progress_time)));
  row("metrics", metrics_line(dir.metrics_file()));
  row("checkpoint", checkpoint_line(dir.checkpoints_dir()));
  if (log.starts == 0) {
    row("starts", "none (the job has not started)");
  } else {
    row("starts",
        fmt::format(
            "{} (Slurm restarts {}); the last one, at {}, {}",
            log.starts,
            fmt::join(log.restarts, ", "),
            log.last_start_time,
            log.finished           ? std::string("finished")
            : !log.stopped.empty() ? "stopped " + log.stopped
                                   : std::string("has not finished")));
  }
  if (!log.last_problem.empty()) {
    row("last issue", log.last_problem);
  }
  return kExitOk;
}

}  // namespace

void add_status_command(CLI::App& app, Cli& cli) {
  auto run = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "status",
      "Where a run stands: Slurm job state, progress, last metrics, checkpoints, restarts");
  command->add_option("run_dir", *run, "the run directory (output.dir of the job)")->required();
  command->callback([&cli, run] { cli.action = [run] { return status(*run); }; });
}

}  // namespace tessera::launch
