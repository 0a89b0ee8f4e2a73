#include "runtime/checkpoint/checkpoint_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "runtime/checkpoint/checkpoint_catalog.h"
#include "runtime/checkpoint/checkpoint_files.h"
#include "runtime/checkpoint/config_diff.h"
#include "runtime/error.h"

namespace tessera::runtime {
namespace {

// Config sections that never make a checkpoint incompatible: how it is saved,
// where outputs go, how processes run and what the run is called.
const std::vector<std::string> kAlwaysFree = {"checkpoint", "output", "runtime", "name"};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return lines;
}

// Every rank verifies every size-th rank file of `dir`; all learn the first
// problem found ("" when none). Collective.
std::string verify_together(const std::filesystem::path& dir, Coordinator& coordinator) {
  std::vector<std::string> problems =
      coordinator.all_gather(verify_checkpoint(dir, coordinator.rank(), coordinator.size()));
  for (const std::string& p : problems) {
    if (!p.empty()) {
      return p;
    }
  }
  return {};
}

}  // namespace

// One background write: everything the thread touches, shared with it so a
// thread left running while the process fails never sees freed memory.
struct CheckpointStore::AsyncWrite {
  struct Job {
    std::filesystem::path dir;
    CheckpointState state;
    CheckpointHeader header;
    int keep = 1;
    std::shared_ptr<Coordinator> coordinator;
    std::exception_ptr error;
  };
  std::shared_ptr<Job> job;
  std::thread thread;
};

CheckpointStore::CheckpointStore(std::filesystem::path checkpoints_dir, Coordinator& coordinator,
                                 CheckpointConfig config, CheckpointIdentity identity)
    : dir_(std::move(checkpoints_dir)),
      coordinator_(coordinator),
      config_(std::move(config)),
      identity_(std::move(identity)) {
  std::string error;
  if (coordinator_.rank() == 0) {
    try {
      std::filesystem::create_directories(dir_);
      remove_checkpoint_leftovers(dir_);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  error = coordinator_.broadcast(error, 0);
  if (!error.empty()) {
    throw CheckpointError(dir_, fmt::format("cannot prepare the checkpoint directory: {}", error));
  }
  if (config_.async) {
    async_coordinator_ = coordinator_.duplicate();
    if (!async_coordinator_) {
      spdlog::warn("checkpoint.async: the coordinator cannot open a second channel (MPI without "
                   "MPI_THREAD_MULTIPLE?); writing checkpoints synchronously");
    }
  }
}

CheckpointStore::~CheckpointStore() {
  if (!in_flight_) {
    return;
  }
  if (std::uncaught_exceptions() > 0) {
    // The job is failing and its peers may be gone: do not wait on them. The
    // thread owns what it uses; the process is about to end the job.
    in_flight_->thread.detach();
    return;
  }
  try {
    wait();
  } catch (const std::exception& e) {
    spdlog::error("checkpoint write failed: {}", e.what());
  }
}

void CheckpointStore::move_aside(const std::vector<std::filesystem::path>& dirs, const char* suffix) {
  if (coordinator_.rank() != 0) {
    return;
  }
  for (const std::filesystem::path& dir : dirs) {
    std::filesystem::path aside = dir;
    aside += suffix;
    std::error_code ec;
    std::filesystem::remove_all(aside, ec);
    std::filesystem::rename(dir, aside, ec);
    if (ec) {
      spdlog::warn("cannot move {} aside: {}", dir.string(), ec.message());
    } else {
      spdlog::warn("moved {} aside to {} (delete it when no longer needed)", dir.filename().string(),
                   aside.filename().string());
    }
  }
}

Checkpoint* CheckpointStore::choose(const std::filesystem::path& dir) {
  auto checkpoint = std::make_unique<Checkpoint>(dir, coordinator_.rank(), coordinator_.size());
  const Manifest& m = checkpoint->manifest();
  if (m.job != identity_.job) {
    throw CheckpointError(dir, fmt::format("written by job kind '{}', this run is '{}'; refusing to "
                                           "resume from it",
                                           m.job, identity_.job));
  }
  std::vector<std::string> free = kAlwaysFree;
  free.insert(free.end(), identity_.may_change.begin(), identity_.may_change.end());
  free.insert(free.end(), config_.allow_changes.begin(), config_.allow_changes.end());
  std::vector<ConfigDifference> differences = diff_configs(m.config, identity_.config, free);
  if (!differences.empty()) {
    std::vector<std::string> keys;
    for (const ConfigDifference& d : differences) {
      keys.push_back(d.key);
    }
    throw CheckpointError(
        dir, fmt::format("its config differs from this run's on {}: {}. Resume with the checkpoint's "
                         "values, allow the change (checkpoint.allow_changes=[{}]), or start over "
                         "(checkpoint.resume=never)",
                         fmt::join(keys, ", "), describe(differences), fmt::join(keys, ",")));
  }
  if (!checkpoint->same_world_size()) {
    spdlog::warn("checkpoint {} was written by {} ranks, this run has {}: replicated and sharded "
                 "state load, per-rank state (RNG, data positions) does not",
                 dir.filename().string(), m.world_size, coordinator_.size());
  }
  resumed_ = std::move(checkpoint);
  last_step_ = m.step;
  return resumed_.get();
}

const Checkpoint* CheckpointStore::resume() {
  const std::string& mode = config_.resume;
  // Rank 0 lists, so every rank walks the same candidates.
  std::vector<std::string> names;
  {
    std::string listing;
    if (coordinator_.rank() == 0) {
      for (const std::filesystem::path& dir : checkpoint_dirs_newest_first(dir_)) {
        listing += dir.filename().string() + "\n";
      }
    }
    names = split_lines(coordinator_.broadcast(listing, 0));
  }
  std::vector<std::filesystem::path> candidates;
  for (const std::string& name : names) {
    candidates.push_back(dir_ / name);
  }

  if (mode == "never") {
    if (!candidates.empty() && coordinator_.rank() == 0) {
      spdlog::warn("checkpoint.resume=never: starting fresh; the {} existing checkpoint(s) are moved "
                   "aside so they cannot mix with this run's",
                   candidates.size());
    }
    move_aside(candidates, ".superseded");
    coordinator_.barrier();
    return nullptr;
  }

  if (mode != "auto" && mode != "required") {
    const std::filesystem::path dir = std::filesystem::absolute(mode).lexically_normal();
    if (std::string problem = verify_together(dir, coordinator_); !problem.empty()) {
      throw CheckpointError(dir, fmt::format("cannot resume from it (checkpoint.resume): {}", problem));
    }
    Checkpoint* chosen = choose(dir);
    // Later checkpoints of this run belong to the timeline being replaced.
    std::vector<std::filesystem::path> newer;
    for (const std::filesystem::path& c : candidates) {
      if (auto step = checkpoint_files::parse_step_dir_name(c.filename().string());
          step && *step > chosen->step() && std::filesystem::absolute(c).lexically_normal() != dir) {
        newer.push_back(c);
      }
    }
    move_aside(newer, ".superseded");
    coordinator_.barrier();
    spdlog::info("resuming from {} (step {})", dir.string(), chosen->step());
    return chosen;
  }

  std::vector<std::filesystem::path> damaged;
  Checkpoint* chosen = nullptr;
  for (const std::filesystem::path& dir : candidates) {
    if (std::string problem = verify_together(dir, coordinator_); !problem.empty()) {
      if (coordinator_.rank() == 0) {
        spdlog::warn("skipping damaged checkpoint: {}; falling back to the previous one", problem);
      }
      damaged.push_back(dir);
      continue;
    }
    chosen = choose(dir);
    break;
  }
  move_aside(damaged, ".damaged");
  coordinator_.barrier();
  if (chosen == nullptr) {
    if (mode == "required") {
      throw CheckpointError(dir_, damaged.empty() ? "checkpoint.resume=required but there is no checkpoint"
                                                  : "checkpoint.resume=required but no checkpoint is valid");
    }
    spdlog::info("no {}checkpoint to resume from; starting fresh", damaged.empty() ? "" : "valid ");
    return nullptr;
  }
  spdlog::info("resuming from {} (step {})", chosen->path().string(), chosen->step());
  return chosen;
}

void CheckpointStore::save(CheckpointState state) {
  wait();
  if (last_step_ && *last_step_ == state.step()) {
    spdlog::debug("checkpoint of step {} exists; not saving it again", state.step());
    return;
  }
  last_step_ = state.step();
  CheckpointHeader header{identity_.job, identity_.name, identity_.config};
  if (!async_coordinator_) {
    write_checkpoint(dir_, state, header, config_.keep, coordinator_);
    return;
  }
  state.own_copies();
  auto job = std::make_shared<AsyncWrite::Job>(
      AsyncWrite::Job{dir_, std::move(state), std::move(header), config_.keep, async_coordinator_, nullptr});
  in_flight_ = std::make_unique<AsyncWrite>();
  in_flight_->job = job;
  in_flight_->thread = std::thread([job] {
    try {
      write_checkpoint(job->dir, job->state, job->header, job->keep, *job->coordinator);
    } catch (...) {
      job->error = std::current_exception();
    }
  });
}

void CheckpointStore::wait() {
  if (!in_flight_) {
    return;
  }
  std::unique_ptr<AsyncWrite> write = std::move(in_flight_);
  write->thread.join();
  if (write->job->error) {
    std::rethrow_exception(write->job->error);
  }
}

}  // namespace tessera::runtime
