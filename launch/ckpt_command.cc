// tessera ckpt list RUN_DIR | tessera ckpt inspect CKPT: what checkpoints a
// run has, whether each is valid (and why not), and what one holds.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "launch/cli.h"
#include "runtime/checkpoint/checkpoint_catalog.h"
#include "runtime/checkpoint/config_diff.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/error.h"

namespace tessera::launch {
namespace {

struct CkptOptions {
  std::string path;
  bool no_verify = false;
};

std::string format_time(double unix_time) {
  if (unix_time <= 0) {
    return "-";
  }
  return fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::gmtime(static_cast<std::time_t>(unix_time)));
}

std::string format_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

// A run directory's checkpoints/ (or the directory itself if it is one).
std::filesystem::path checkpoints_dir_of(const std::filesystem::path& path) {
  return std::filesystem::is_directory(path / "checkpoints") ? path / "checkpoints" : path;
}

int list(const CkptOptions& options) {
  const std::filesystem::path dir = checkpoints_dir_of(options.path);
  if (!std::filesystem::is_directory(dir)) {
    throw IoError(fmt::format("{}: no such run directory", options.path));
  }
  std::vector<runtime::CheckpointListing> items = runtime::list_checkpoints(dir, !options.no_verify);
  std::printf("%s\n", dir.string().c_str());
  if (items.empty()) {
    std::printf("no checkpoints\n");
  } else {
    std::printf("%-12s %-20s %10s %5s  %s\n", "STEP", "WRITTEN (UTC)", "SIZE", "RANKS", "STATUS");
  }
  for (const runtime::CheckpointListing& item : items) {
    std::string status = item.valid ? (options.no_verify ? "manifest ok (files not checked)" : "valid")
                                    : "INVALID: " + item.problem;
    if (item.latest) {
      status += " (LATEST)";
    }
    std::printf("%-12lld %-20s %10s %5s  %s\n", static_cast<long long>(item.step),
                format_time(item.unix_time).c_str(), item.bytes ? format_bytes(item.bytes).c_str() : "-",
                item.world_size ? std::to_string(item.world_size).c_str() : "-", status.c_str());
  }
  // Moved-aside checkpoints and leftovers, so nothing on disk goes unexplained.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const char* suffix : {".damaged", ".superseded", ".tmp", ".deleting"}) {
      if (name.starts_with("step-") && name.ends_with(suffix)) {
        std::printf("%s: not a checkpoint (%s)\n", name.c_str(),
                    std::string(suffix) == ".tmp" ? "an interrupted write" : "moved aside");
      }
    }
  }
  return kExitOk;
}

void print_arrays(const runtime::Manifest& m) {
  std::printf("arrays:\n");
  std::printf("  %-32s %-10s %-8s %-16s %-26s %s\n", "NAME", "KIND", "DTYPE", "SHAPE", "GLOBAL @ OFFSET",
              "RANK");
  for (const runtime::RankEntry& r : m.ranks) {
    for (const runtime::ArrayEntry& a : r.arrays) {
      const std::string global =
          a.kind == runtime::ArrayKind::kShard
              ? runtime::shape_string(a.global_shape) + " @ " + runtime::shape_string(a.offset)
              : "";
      std::printf("  %-32s %-10s %-8s %-16s %-26s %d\n", a.name.c_str(),
                  std::string(runtime::array_kind_name(a.kind)).c_str(),
                  std::string(runtime::dtype_name(a.dtype)).c_str(),
                  runtime::shape_string(a.shape).c_str(), global.c_str(), r.rank);
    }
  }
}

std::string printable(const std::string& bytes) {
  for (char c : bytes) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      return fmt::format("({} bytes)", bytes.size());
    }
  }
  return bytes.size() <= 60 ? "\"" + bytes + "\"" : fmt::format("({} bytes)", bytes.size());
}

int inspect(const CkptOptions& options) {
  std::filesystem::path dir = options.path;
  if (!std::filesystem::exists(dir / runtime::kManifestFile)) {
    // A run directory or its checkpoints/: the one LATEST names.
    if (auto latest = runtime::read_latest(checkpoints_dir_of(dir))) {
      dir = *latest;
    }
  }
  const runtime::Manifest m = runtime::read_manifest(dir);
  const std::string problem = options.no_verify ? std::string() : runtime::verify_checkpoint(dir);
  std::printf("checkpoint %s\n", dir.string().c_str());
  std::printf("  status:        %s\n", problem.empty() ? (options.no_verify ? "manifest ok" : "valid")
                                                       : ("INVALID: " + problem).c_str());
  std::printf("  job:           %s (run '%s')\n", m.job.c_str(), m.name.c_str());
  std::printf("  step:          %lld (epoch %lld)\n", static_cast<long long>(m.step),
              static_cast<long long>(m.epoch));
  std::printf("  world size:    %d\n", m.world_size);
  std::printf("  written:       %s UTC by tessera %s (format %d)\n", format_time(m.unix_time).c_str(),
              m.tessera_version.c_str(), m.format);
  std::printf("  size:          %s\n", format_bytes(m.total_bytes()).c_str());
  std::printf("files:\n");
  for (const runtime::RankEntry& r : m.ranks) {
    std::printf("  %-16s %12llu bytes  %s  rng %zu bytes\n", r.file.c_str(),
                static_cast<unsigned long long>(r.file_bytes),
                runtime::checksum_string(r.file_checksum).c_str(), r.rng_state.size());
    for (const auto& [key, bytes] : r.blobs) {
      std::printf("    blob %s = %s\n", key.c_str(), printable(bytes).c_str());
    }
  }
  print_arrays(m);
  if (!m.metadata.empty()) {
    std::printf("metadata:\n");
    for (const auto& [key, value] : m.metadata) {
      std::printf("  %s = %s\n", key.c_str(), printable(value).c_str());
    }
  }
  // Against the run's current config.yaml (checkpoints/<step>/ -> run/).
  const std::filesystem::path run_config = dir.parent_path().parent_path() / "config.yaml";
  std::ifstream in(run_config);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    std::vector<runtime::ConfigDifference> diff = runtime::diff_configs(m.config, text.str());
    if (diff.empty()) {
      std::printf("config: same as %s\n", run_config.string().c_str());
    } else {
      std::printf("config: differs from %s:\n", run_config.string().c_str());
      for (const runtime::ConfigDifference& d : diff) {
        std::printf("  %s: %s in the checkpoint, %s in the run\n", d.key.c_str(), d.saved.c_str(),
                    d.current.c_str());
      }
    }
  } else {
    std::printf("config (no run config.yaml beside it to compare):\n%s", m.config.c_str());
  }
  return problem.empty() ? kExitOk : kExitFailure;
}

}  // namespace

void add_ckpt_command(CLI::App& app, Cli& cli) {
  (void)cli;
  CLI::App* ckpt = app.add_subcommand("ckpt", "List and inspect a run's checkpoints");
  ckpt->require_subcommand(1);
  auto options = std::make_shared<CkptOptions>();
  CLI::App* list_command =
      ckpt->add_subcommand("list", "Every checkpoint of a run: step, time, size, ranks, valid or why not");
  list_command->add_option("run_dir", options->path, "run directory (or its checkpoints/)")->required();
  list_command->add_flag("--no-verify", options->no_verify, "check manifests only, not the files' checksums");
  list_command->callback([&cli, options] { cli.action = [options] { return list(*options); }; });
  CLI::App* inspect_command = ckpt->add_subcommand(
      "inspect", "What one checkpoint holds: arrays, metadata, and its config against the run's");
  inspect_command->add_option("checkpoint", options->path, "checkpoint directory (or a run directory: its LATEST)")
      ->required();
  inspect_command->add_flag("--no-verify", options->no_verify, "do not check the files' checksums");
  inspect_command->callback([&cli, options] { cli.action = [options] { return inspect(*options); }; });
}

}  // namespace tessera::launch
