#include "jobs/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include "optim/lr_schedule.h"
#include "runtime/checkpoint/checkpoint_store.h"
#include "runtime/error.h"
#include "runtime/stop_signal.h"
#include "runtime/progress.h"

namespace tessera::jobs::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::int64_t steps_of(const TrainConfig& config, const BatchSource& train) {
  return config.steps > 0 ? config.steps : config.epochs * train.batches_per_epoch();
}

const TrainerParts& checked(const TrainerParts& parts) {
  TESSERA_CHECK(parts.model && parts.runner && parts.train, "incomplete trainer parts");
  return parts;
}

LossKind loss_of(const TrainConfig& config) {
  std::optional<LossKind> loss = loss_from_name(config.loss);
  if (!loss) {
    throw ConfigError("train.loss = " + config.loss + " (must be sigmoid_ce, softmax_ce or mse)");
  }
  return *loss;
}

}  // namespace

std::string Trainer::Interval::encode() const {
  std::string text = fmt::format("{} {:a} {:a} {:a} {:a}", steps, loss, step_time, data_time, comm_time);
  for (const auto& [name, value] : extra) {
    text += fmt::format(" {} {:a}", name, value);
  }
  return text;
}

Trainer::Interval Trainer::Interval::decode(std::string_view text) {
  std::istringstream in{std::string(text)};
  Interval interval;
  std::string loss, step_time, data_time, comm_time;
  in >> interval.steps >> loss >> step_time >> data_time >> comm_time;
  if (!in) {
    throw CheckpointError({}, fmt::format("trainer interval '{}' is malformed", text));
  }
  interval.loss = std::strtod(loss.c_str(), nullptr);
  interval.step_time = std::strtod(step_time.c_str(), nullptr);
  interval.data_time = std::strtod(data_time.c_str(), nullptr);
  interval.comm_time = std::strtod(comm_time.c_str(), nullptr);
  std::string name, value;
  while (in >> name >> value) {
    interval.extra.emplace_back(name, std::strtod(value.c_str(), nullptr));
  }
  return interval;
}

Trainer::Trainer(TrainConfig config, TrainerParts parts, runtime::JobContext& context)
    : config_(std::move(config)),
      parts_(checked(parts)),
      context_(context),
      loss_(loss_of(config_)),
      total_steps_(steps_of(config_, *parts_.train)),
      schedule_(config_.schedule, parts_.base_lr, total_steps_, parts_.train->batches_per_epoch()) {}

std::vector<double> Trainer::sum_over_ranks(const std::vector<double>& values) {
  // Small and infrequent (metric rows, evaluations): the control-plane
  // coordinator is enough and keeps the data plane to gradients.
  std::string bytes(values.size() * sizeof(double), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  std::vector<double> sums(values.size(), 0.0);
  for (const std::string& part : context_.coordinator.all_gather(bytes)) {
    TESSERA_CHECK(part.size() == bytes.size(), "ranks disagree on the metric count");
    for (std::size_t i = 0; i < sums.size(); ++i) {
      double v = 0;
      std::memcpy(&v, part.data() + i * sizeof(double), sizeof(double));
      sums[i] += v;
    }
  }
  return sums;
}

// The data position is global (same on every rank, any world size) or this
// rank's own; the RNG state is always this rank's own.
constexpr const char* kDataKey = "data/train";
constexpr const char* kIntervalKey = "trainer/interval";

void Trainer::resume(const runtime::Checkpoint& checkpoint) {
  parts_.runner->load(checkpoint);
  step_ = checkpoint.step();
  summary_.resumed_from = step_;
  std::optional<std::string> data = parts_.train->state_is_global() ? checkpoint.metadata(kDataKey)
                                                                     : checkpoint.blob(kDataKey);
  if (!data) {
    throw CheckpointError(checkpoint.path(),
                          parts_.train->state_is_global()
                              ? "no data position to resume from"
                              : "no data position for this rank (per-rank data streams resume only "
                                "on the world size that wrote the checkpoint)");
  }
  parts_.train->restore(*data);
  // The steps since the last metric row, so the next row is what an
  // uninterrupted run writes (this rank's own sums: same world size only).
  std::optional<std::string> interval = checkpoint.blob(kIntervalKey);
  interval_ = interval ? Interval::decode(*interval) : Interval{};
  if (std::optional<std::string> rng = checkpoint.rng_state()) {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    at::Tensor bytes = at::empty({static_cast<std::int64_t>(rng->size())}, at::kByte);
    std::memcpy(bytes.data_ptr(), rng->data(), rng->size());
    generator.set_state(bytes);
  }
  spdlog::info("resumed from {} at step {}", checkpoint.path().string(), step_);
}

void Trainer::save() {
  runtime::CheckpointState state(step_, step_ / parts_.train->batches_per_epoch());
  parts_.runner->save(state);
  state.set_blob(kIntervalKey, interval_.encode());
  if (parts_.train->state_is_global()) {
    state.set_metadata(kDataKey, parts_.train->state());
  } else {
    state.set_blob(kDataKey, parts_.train->state());
  }
  {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    at::Tensor bytes = generator.get_state();
    state.set_rng_state(std::string(static_cast<const char*>(bytes.data_ptr()), bytes.numel()));
  }
  context_.checkpoints.save(std::move(state));
}

void Trainer::take_step() {
  Interval& interval = interval_;
  const auto start = Clock::now();
  Batch share = parts_.train->next();
  if (share.size() % config_.accumulate != 0) {
    throw ConfigError(fmt::format("train.accumulate = {} (must divide this rank's {} samples per step)",
                                  config_.accumulate, share.size()));
  }
  if (parts_.device != c10::kCPU) {
    share.input = share.input.to(parts_.device, /*non_blocking=*/true);
    share.target = share.target.to(parts_.device, /*non_blocking=*/true);
  }
  interval.data_time += seconds_since(start);
  std::vector<Batch> micro;
  const std::int64_t size = share.size() / config_.accumulate;
  for (int i = 0; i < config_.accumulate; ++i) {
    micro.push_back(share.slice(i * size, size));
  }
  StepResult result = parts_.runner->step(micro, schedule_.lr(step_));
  ++step_;
  interval.steps += 1;
  interval.loss += result.loss;
  interval.comm_time += result.comm_seconds;
  interval.step_time += seconds_since(start);
  for (const auto& [name, value] : result.extra) {
    auto it = std::find_if(interval.extra.begin(), interval.extra.end(),
                           [&name](const auto& e) { return e.first == name; });
    if (it == interval.extra.end()) {
      interval.extra.emplace_back(name, value);
    } else {
      it->second += value;
    }
  }
}

void Trainer::log() {
  Interval& interval = interval_;
  if (interval.steps == 0) {
    return;
  }
  const auto n = static_cast<double>(interval.steps);
  const double world = context_.coordinator.size();
  std::vector<double> values{interval.loss / n, interval.step_time / n};
  const std::vector<double> sums = sum_over_ranks(values);
  const double loss = sums[0] / world;
  // The slowest rank sets the pace; the mean step time is what samples/s sees.
  const double step_time = sums[1] / world;
  runtime::MetricsWriter& m = context_.metrics;
  m.append(step_, "loss", loss);
  m.append(step_, "lr", schedule_.lr(step_ - 1));
  m.append(step_, "epoch", static_cast<double>(step_) / static_cast<double>(parts_.train->batches_per_epoch()));
  m.append(step_, "samples_per_s", static_cast<double>(parts_.global_batch) / step_time);
  m.append(step_, "step_time", interval.step_time / n);
  m.append(step_, "data_time", interval.data_time / n);
  m.append(step_, "comm_time", interval.comm_time / n);
  for (const auto& [name, value] : interval.extra) {
    m.append(step_, name, value / n);
  }
  summary_.last_loss = loss;
  interval = Interval{};
}

void Trainer::evaluate() {
  std::vector<std::pair<std::string, EvalSource*>> splits;
  if (parts_.eval != nullptr) {
    splits.emplace_back("eval", parts_.eval);
  }
  if (config_.eval_train && parts_.train_eval != nullptr) {
    splits.emplace_back("train_eval", parts_.train_eval);
  }
  if (splits.empty()) {
    return;
  }
  const auto start = Clock::now();
  summary_.last_eval.clear();
  std::string line;
  parts_.model->eval();
  for (const auto& [split, source] : splits) {
    EvalSums sums;
    {
      torch::NoGradGuard no_grad;
      source->for_each_batch([&](const Batch& batch) {
        sums.add(loss_, parts_.model->forward(batch.input.to(parts_.device)), batch.target.to(parts_.device));
      });
    }
    sums = EvalSums::from_vector(sum_over_ranks(sums.to_vector()));
    for (const auto& [name, value] : sums.metrics()) {
      const std::string key = split + "/" + name;
      context_.metrics.append(step_, key, value);
      summary_.last_eval.emplace_back(key, value);
      line += fmt::format(" {} {:.5g}", key, value);
    }
  }
  parts_.model->train();
  if (context_.launch.rank == 0) {
    spdlog::info("eval at step {} (epoch {:.2f}, {:.1f}s):{}", step_,
                 static_cast<double>(step_) / static_cast<double>(parts_.train->batches_per_epoch()),
                 seconds_since(start), line);
  }
}

TrainSummary Trainer::run() {
  const std::int64_t per_epoch = parts_.train->batches_per_epoch();
  if (context_.launch.rank == 0) {
    spdlog::info("training {} steps ({} per epoch, {:.3g} epochs), global batch {}, {} micro-batch{} per step",
                 total_steps_, per_epoch, static_cast<double>(total_steps_) / static_cast<double>(per_epoch),
                 parts_.global_batch, config_.accumulate, config_.accumulate == 1 ? "" : "es");
  }
  if (const runtime::Checkpoint* checkpoint = context_.checkpoints.resumed()) {
    resume(*checkpoint);
  }
  runtime::Progress progress("train step", total_steps_, context_.spec.runtime.progress_every,
                             context_.launch.rank == 0);
  if (config_.eval_at_start && step_ == 0) {
    evaluate();
  }
  parts_.model->train();
  std::int64_t evaluated_at = -1;
  progress.update(step_);
  while (step_ < total_steps_) {
    take_step();
    const bool stop = context_.stop.should_stop(step_);
    if (step_ % config_.log_every == 0 || step_ == total_steps_) {
      log();
    }
    const bool epoch_end = step_ % per_epoch == 0;
    const bool eval_now =
        (config_.eval_every_steps > 0 && step_ % config_.eval_every_steps == 0) ||
        (config_.eval_every_epochs > 0 && epoch_end && (step_ / per_epoch) % config_.eval_every_epochs == 0);
    if (eval_now) {
      evaluate();
      evaluated_at = step_;
    }
    if (stop || context_.checkpoints.due(step_) || step_ == total_steps_) {
      save();
    }
    if (stop) {
      summary_.stopped = true;
      break;
    }
    progress.update(step_, fmt::format("loss {:.5g}", summary_.last_loss));
  }
  if (!summary_.stopped && evaluated_at != step_) {
    evaluate();
  }
  progress.finish(step_, fmt::format("loss {:.5g}", summary_.last_loss));
  summary_.steps = step_;
  return summary_;
}

void log_summary(const TrainSummary& summary) {
  std::string evals;
  for (const auto& [name, value] : summary.last_eval) {
    evals += fmt::format(", {} {:.5g}", name, value);
  }
  spdlog::info("{} after {} steps: loss {:.5g}{}", summary.stopped ? "stopped" : "trained", summary.steps,
               summary.last_loss, evals);
}

}  // namespace tessera::jobs::train
