#include "runtime/checkpoint/checkpoint_writer.h"

#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "runtime/build_config.h"
#include "runtime/checkpoint/checkpoint_catalog.h"
#include "runtime/checkpoint/checkpoint_files.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/checkpoint/rank_file.h"
#include "runtime/error.h"
#include "runtime/run_dir.h"

namespace tessera::runtime {
namespace {

namespace files = checkpoint_files;

// What each rank tells rank 0 after writing its file.
struct RankReport {
  std::string error;  // "" when the file is written and synced
  std::int64_t step = 0;
  std::int64_t epoch = 0;
  std::map<std::string, std::string> metadata;
  std::string entry;  // encode_rank_entry()

  template <class Archive>
  void serialize(Archive& ar) {
    ar(error, step, epoch, metadata, entry);
  }
};

std::string encode(const RankReport& report) {
  std::ostringstream out;
  {
    cereal::BinaryOutputArchive archive(out);
    archive(const_cast<RankReport&>(report));  // NOLINT: serialize() is shared with load
  }
  return out.str();
}

RankReport decode(const std::string& bytes) {
  RankReport report;
  std::istringstream in(bytes);
  cereal::BinaryInputArchive archive(in);
  archive(report);
  return report;
}

bool overlap(const ArrayEntry& a, const ArrayEntry& b) {
  for (std::size_t d = 0; d < a.shape.size(); ++d) {
    if (a.offset[d] + a.shape[d] <= b.offset[d] || b.offset[d] + b.shape[d] <= a.offset[d]) {
      return false;
    }
  }
  return true;
}

// "" when every rank's report agrees, else what does not.
std::string check_reports(const std::vector<RankReport>& reports, const std::vector<RankEntry>& entries) {
  for (std::size_t r = 1; r < reports.size(); ++r) {
    if (reports[r].step != reports[0].step) {
      return fmt::format("ranks saved different steps: rank 0 step {}, rank {} step {}", reports[0].step,
                         r, reports[r].step);
    }
  }
  // Replicated arrays: rank 0 wrote them; every other rank declared the same.
  std::map<std::string, const ArrayEntry*> replicated;
  for (const ArrayEntry& a : entries[0].arrays) {
    if (a.kind == ArrayKind::kReplicated) {
      replicated[a.name] = &a;
    }
  }
  for (std::size_t r = 1; r < entries.size(); ++r) {
    std::set<std::string> seen;
    for (const ArrayEntry& a : entries[r].declared) {
      auto it = replicated.find(a.name);
      if (it == replicated.end()) {
        return fmt::format("rank {} has replicated array '{}', rank 0 has not", r, a.name);
      }
      if (it->second->dtype != a.dtype || it->second->shape != a.shape) {
        return fmt::format("replicated array '{}' is {} {} on rank 0 but {} {} on rank {}", a.name,
                           dtype_name(it->second->dtype), shape_string(it->second->shape),
                           dtype_name(a.dtype), shape_string(a.shape), r);
      }
      seen.insert(a.name);
    }
    if (seen.size() != replicated.size()) {
      for (const auto& [name, entry] : replicated) {
        if (!seen.contains(name)) {
          return fmt::format("rank 0 has replicated array '{}', rank {} has not", name, r);
        }
      }
    }
  }
  // Shard arrays: same dtype and global shape; distinct blocks tile the array.
  std::map<std::string, std::vector<const ArrayEntry*>> shards;
  for (const RankEntry& e : entries) {
    for (const ArrayEntry& a : e.arrays) {
      if (a.kind == ArrayKind::kShard) {
        shards[a.name].push_back(&a);
      }
    }
  }
  for (const auto& [name, blocks] : shards) {
    std::vector<const ArrayEntry*> distinct;
    std::set<std::pair<Shape, Shape>> seen;
    for (const ArrayEntry* b : blocks) {
      if (b->dtype != blocks[0]->dtype || b->global_shape != blocks[0]->global_shape) {
        return fmt::format("shard array '{}': blocks disagree on dtype or global shape ({} {} and {} {})",
                           name, dtype_name(blocks[0]->dtype), shape_string(blocks[0]->global_shape),
                           dtype_name(b->dtype), shape_string(b->global_shape));
      }
      if (seen.insert({b->offset, b->shape}).second) {
        distinct.push_back(b);
      }
    }
    std::int64_t volume = 0;
    for (std::size_t i = 0; i < distinct.size(); ++i) {
      volume += element_count(distinct[i]->shape);
      for (std::size_t j = i + 1; j < distinct.size(); ++j) {
        if (overlap(*distinct[i], *distinct[j])) {
          return fmt::format("shard array '{}': blocks at {} and {} overlap", name,
                             shape_string(distinct[i]->offset), shape_string(distinct[j]->offset));
        }
      }
    }
    const std::int64_t global = element_count(blocks[0]->global_shape);
    if (volume != global) {
      return fmt::format("shard array '{}': the blocks of all ranks hold {} of its {} elements (global "
                         "shape {})",
                         name, volume, global, shape_string(blocks[0]->global_shape));
    }
  }
  return {};
}

// Renames `dir` aside and removes it, so an interrupted removal never leaves
// something that looks like a checkpoint.
void remove_checkpoint_dir(const std::filesystem::path& dir) {
  std::filesystem::path doomed = dir;
  doomed += ".deleting";
  std::filesystem::remove_all(doomed);
  std::filesystem::rename(dir, doomed);
  std::filesystem::remove_all(doomed);
}

// Step 3 on rank 0. Returns the error text, "" on success.
std::string commit(const std::filesystem::path& checkpoints_dir, const std::filesystem::path& tmp,
                   const std::filesystem::path& final_dir, const std::vector<RankReport>& reports,
                   const CheckpointHeader& header, int keep) {
  std::vector<RankEntry> entries;
  for (const RankReport& r : reports) {
    entries.push_back(decode_rank_entry(r.entry));
  }
  if (std::string problem = check_reports(reports, entries); !problem.empty()) {
    return problem;
  }
  Manifest manifest;
  manifest.tessera_version = TESSERA_VERSION;
  manifest.job = header.job;
  manifest.name = header.name;
  manifest.config = header.config;
  manifest.step = reports[0].step;
  manifest.epoch = reports[0].epoch;
  manifest.world_size = static_cast<int>(reports.size());
  manifest.unix_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  manifest.metadata = reports[0].metadata;
  manifest.ranks = std::move(entries);
  files::write_file_synced(tmp / kManifestFile, encode_manifest(manifest));
  files::fsync_dir(tmp);
  if (std::filesystem::exists(final_dir)) {
    // The same step saved again (a run that started over): replace it.
    spdlog::warn("checkpoint {} exists; replacing it", final_dir.string());
    remove_checkpoint_dir(final_dir);
  }
  std::filesystem::rename(tmp, final_dir);
  files::fsync_dir(checkpoints_dir);
  write_file_atomically(checkpoints_dir / kLatestFile, final_dir.filename().string() + "\n");
  std::vector<std::filesystem::path> dirs = checkpoint_dirs_newest_first(checkpoints_dir);
  for (std::size_t i = static_cast<std::size_t>(keep); i < dirs.size(); ++i) {
    spdlog::debug("removing old checkpoint {}", dirs[i].string());
    remove_checkpoint_dir(dirs[i]);
  }
  return {};
}

}  // namespace

std::filesystem::path write_checkpoint(const std::filesystem::path& checkpoints_dir,
                                       const CheckpointState& state, const CheckpointHeader& header,
                                       int keep, Coordinator& coordinator) {
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path tmp = checkpoints_dir / files::temp_dir_name(state.step());
  const std::filesystem::path final_dir = checkpoints_dir / files::step_dir_name(state.step());

  // 1. The temporary directory.
  std::string error;
  if (coordinator.rank() == 0) {
    try {
      std::filesystem::remove_all(tmp);
      std::filesystem::create_directories(tmp);
    } catch (const std::exception& e) {
      error = fmt::format("cannot create {}: {}", tmp.string(), e.what());
    }
  }
  error = coordinator.broadcast(error, 0);
  if (!error.empty()) {
    throw CheckpointError(final_dir, error);
  }

  // 2. This rank's file, then the reports (the barrier).
  RankReport report{{}, state.step(), state.epoch(), state.metadata(), {}};
  try {
    const int rank = coordinator.rank();
    report.entry = encode_rank_entry(
        write_rank_file(tmp / files::rank_file_name(rank), rank, state, /*write_replicated=*/rank == 0));
  } catch (const std::exception& e) {
    report.error = e.what();
  }
  std::vector<std::string> gathered = coordinator.all_gather(encode(report));

  // 3. Commit on rank 0.
  std::string outcome;
  if (coordinator.rank() == 0) {
    std::vector<RankReport> reports;
    for (const std::string& bytes : gathered) {
      reports.push_back(decode(bytes));
    }
    for (std::size_t r = 0; r < reports.size() && outcome.empty(); ++r) {
      if (!reports[r].error.empty()) {
        outcome = fmt::format("rank {} could not write its part: {}", r, reports[r].error);
      }
    }
    if (outcome.empty()) {
      try {
        outcome = commit(checkpoints_dir, tmp, final_dir, reports, header, keep);
      } catch (const std::exception& e) {
        outcome = e.what();
      }
    }
    if (!outcome.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(tmp, ignored);  // the previous checkpoints stay as they were
    }
  }

  // 4. Everyone learns the outcome.
  outcome = coordinator.broadcast(outcome, 0);
  if (!outcome.empty()) {
    throw CheckpointError(final_dir, outcome);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("checkpoint {} written in {:.2f} s", final_dir.filename().string(), seconds);
  return final_dir;
}

void remove_checkpoint_leftovers(const std::filesystem::path& checkpoints_dir) {
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(checkpoints_dir, ec)) {
    const std::string name = item.path().filename().string();
    const bool leftover = (name.ends_with(".tmp") || name.ends_with(".deleting")) && name.starts_with("step-");
    if (leftover || name.starts_with(std::string(kLatestFile) + ".tmp-")) {
      spdlog::info("removing {} (left by an interrupted checkpoint)", item.path().string());
      std::filesystem::remove_all(item.path(), ec);
    }
  }
}

}  // namespace tessera::runtime
