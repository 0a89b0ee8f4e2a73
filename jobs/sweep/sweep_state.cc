#include "jobs/sweep/sweep_state.h"

#include <xxhash.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::sweep {

std::int64_t chunk_shots(const TaskLimits& limits, std::int64_t index) {
  // Sizes s_i = min(first * 2^i, max_chunk); start_i = s_0 + ... + s_{i-1}.
  const std::int64_t max_chunk = std::max<std::int64_t>(1, limits.max_chunk_shots);
  std::int64_t size = std::min(std::max<std::int64_t>(1, limits.first_chunk_shots), max_chunk);
  std::int64_t start = 0;
  std::int64_t i = 0;
  for (; i < index && size < max_chunk; ++i) {  // the doubling phase (at most 63 steps)
    start += size;
    size = size > max_chunk / 2 ? max_chunk : size * 2;
  }
  if (i < index) {  // then constant chunks
    const std::int64_t steps = index - i;
    if (steps > (limits.max_shots - start) / max_chunk + 1) {
      return 0;
    }
    start += steps * max_chunk;
  }
  if (start >= limits.max_shots) {
    return 0;
  }
  return std::min(size, limits.max_shots - start);
}

std::uint64_t chunk_seed(std::uint64_t run_seed, const std::string& task_id, std::int64_t index) {
  const std::string text = fmt::format("{}/{}/{}", run_seed, task_id, index);
  return XXH3_64bits(text.data(), text.size());
}

bool limits_reached(const TaskLimits& limits, const Counts& counts) {
  return counts.shots >= limits.max_shots || (limits.max_errors > 0 && counts.errors >= limits.max_errors);
}

SweepState::SweepState(std::vector<Task> tasks, std::vector<TaskRecord> previous, std::uint64_t run_seed)
    : tasks_(std::move(tasks)), run_seed_(run_seed) {
  std::unordered_map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < previous.size(); ++i) {
    by_id.emplace(previous[i].id, i);
  }
  std::vector<bool> used(previous.size(), false);
  for (const Task& t : tasks_) {
    Progress p;
    p.record = records_.size();
    auto it = by_id.find(t.id);
    TaskRecord r;
    if (it != by_id.end()) {
      r = std::move(previous[it->second]);
      used[it->second] = true;
    } else {
      r.id = t.id;
    }
    r.params = t.description.params;
    r.decoder = t.description.decoder;
    r.metadata = t.description.metadata;
    // The limits may have changed since the file was written.
    r.finished = limits_reached(t.limits, r.total.counts);
    if (r.finished) {
      r.pending.clear();
    }
    p.next_issue = r.chunks;
    records_.push_back(std::move(r));
    progress_.push_back(std::move(p));
    skip_done(progress_.back());
  }
  for (std::size_t i = 0; i < previous.size(); ++i) {
    if (!used[i]) {
      records_.push_back(std::move(previous[i]));
    }
  }
}

void SweepState::skip_done(Progress& p) {
  const TaskRecord& r = records_[p.record];
  while (r.pending.count(p.next_issue) != 0 || p.next_issue < r.chunks) {
    ++p.next_issue;
  }
}

std::optional<Assignment> SweepState::next() {
  std::optional<std::size_t> best;
  for (std::size_t t = 0; t < tasks_.size(); ++t) {
    Progress& p = progress_[t];
    const TaskRecord& r = records_[p.record];
    if (r.finished) {
      continue;
    }
    skip_done(p);
    if (chunk_shots(tasks_[t].limits, p.next_issue) == 0) {
      continue;  // every chunk of the plan is done or running
    }
    const TaskLimits& limits = tasks_[t].limits;
    if (limits.max_errors > 0 && !p.in_flight.empty()) {
      // Do not start more than the errors still missing are expected to need.
      Counts known = r.total.counts;
      for (const auto& [c, result] : r.pending) {
        known += result.counts;
      }
      std::int64_t flying = 0;
      for (std::int64_t c : p.in_flight) {
        flying += chunk_shots(limits, c);
      }
      const double rate = known.shots > 0 ? static_cast<double>(known.errors) / static_cast<double>(known.shots) : 0;
      if (static_cast<double>(known.errors) + rate * static_cast<double>(flying) >=
          static_cast<double>(limits.max_errors)) {
        continue;
      }
    }
    if (!best || p.in_flight.size() < progress_[*best].in_flight.size()) {
      best = t;
    }
  }
  if (!best) {
    return std::nullopt;
  }
  Progress& p = progress_[*best];
  Assignment a;
  a.task = *best;
  a.chunk.index = p.next_issue;
  a.chunk.shots = chunk_shots(tasks_[*best].limits, p.next_issue);
  a.chunk.seed = chunk_seed(run_seed_, tasks_[*best].id, p.next_issue);
  p.in_flight.insert(p.next_issue);
  ++p.next_issue;
  return a;
}

bool SweepState::absorb(TaskRecord& r, const TaskLimits* limits, std::int64_t chunk, ChunkResult result) {
  if (chunk < r.chunks || r.pending.count(chunk) != 0 || r.finished) {
    return false;
  }
  r.pending.emplace(chunk, std::move(result));
  for (auto it = r.pending.find(r.chunks); it != r.pending.end(); it = r.pending.find(r.chunks)) {
    r.total += it->second;
    r.pending.erase(it);
    ++r.chunks;
    if (limits != nullptr && limits_reached(*limits, r.total.counts)) {
      r.finished = true;
      r.pending.clear();
      break;
    }
  }
  return true;
}

bool SweepState::complete(std::size_t task, std::int64_t chunk, ChunkResult result) {
  TESSERA_CHECK(task < tasks_.size(), "task {} of {}", task, tasks_.size());
  Progress& p = progress_[task];
  p.in_flight.erase(chunk);
  return absorb(records_[p.record], &tasks_[task].limits, chunk, std::move(result));
}

bool SweepState::replay(const std::string& task_id, std::int64_t chunk, ChunkResult result) {
  for (std::size_t t = 0; t < tasks_.size(); ++t) {
    if (tasks_[t].id == task_id) {
      const bool applied = absorb(records_[progress_[t].record], &tasks_[t].limits, chunk, std::move(result));
      skip_done(progress_[t]);
      return applied;
    }
  }
  for (TaskRecord& r : records_) {
    if (r.id == task_id) {
      return absorb(r, nullptr, chunk, std::move(result));
    }
  }
  return false;  // a task of neither the grid nor the file: nothing to attach it to
}

bool SweepState::all_finished() const {
  return std::all_of(progress_.begin(), progress_.end(),
                     [this](const Progress& p) { return records_[p.record].finished; });
}

std::size_t SweepState::in_flight() const {
  std::size_t n = 0;
  for (const Progress& p : progress_) {
    n += p.in_flight.size();
  }
  return n;
}

std::size_t SweepState::finished_tasks() const {
  return static_cast<std::size_t>(std::count_if(progress_.begin(), progress_.end(),
                                                [this](const Progress& p) { return records_[p.record].finished; }));
}

Counts SweepState::grid_counts() const {
  Counts total;
  for (const Progress& p : progress_) {
    const TaskRecord& r = records_[p.record];
    total += r.total.counts;
    for (const auto& [c, result] : r.pending) {
      total += result.counts;
    }
  }
  return total;
}

std::vector<TaskRecord> SweepState::records() const { return records_; }

}  // namespace tessera::jobs::sweep
