#include "jobs/locoprop/locoprop_sweep.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/types.h>

#include "jobs/locoprop/locoprop_step.h"
#include "jobs/sweep/sweep_engine.h"
#include "jobs/sweep/sweep_kernel.h"
#include "jobs/train/dense_stack.h"
#include "jobs/train/model_factory.h"
#include "jobs/train/shard_sources.h"
#include "jobs/train/torch_threads.h"
#include "optim/lr_schedule.h"
#include "runtime/error.h"
#include "runtime/plot/run_plots.h"
#include "runtime/run_dir.h"

namespace tessera::jobs::locoprop {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One grid point, one training run. Without a config it only describes
// (checks grid points while the YAML is parsed).
class RunKernel final : public sweep::SweepKernel {
 public:
  RunKernel() = default;
  RunKernel(const LocoPropSweepConfig& config, std::uint64_t seed) : config_(&config), seed_(seed) {}

  sweep::TaskDescription describe(const nlohmann::json& point) const override {
    nlohmann::json p;
    for (const auto& [key, value] : point.items()) {
      if (key == "mode") {
        if (!value.is_string() || !mode_from_name(value.get<std::string>())) {
          throw ConfigError("sweep point mode must be bp, locoprop_s or locoprop_m");
        }
      } else if (key == "lr" || key == "activation_lr") {
        if (!value.is_number() || value.get<double>() <= 0) {
          throw ConfigError(fmt::format("sweep point {} must be a positive number", key));
        }
      } else if (key == "local_iters") {
        if (!value.is_number_integer() || value.get<int>() < 1) {
          throw ConfigError("sweep point local_iters must be an integer >= 1");
        }
      } else {
        throw ConfigError(fmt::format("sweep point key '{}' (known: mode, lr, activation_lr, local_iters)", key));
      }
      p[key] = value;
    }
    if (!p.contains("mode") || !p.contains("lr")) {
      throw ConfigError("every sweep point needs mode and lr");
    }
    return {.params = p, .decoder = "", .metadata = p};
  }

  sweep::TaskLimits limits(const sweep::TaskDescription&, const sweep::TaskLimits&) const override {
    return {.max_shots = 1, .max_errors = 0, .first_chunk_shots = 1, .max_chunk_shots = 1};
  }

  sweep::ChunkResult run_chunk(const sweep::Task& task, const sweep::Chunk&) override;

 private:
  const LocoPropSweepConfig* config_ = nullptr;
  std::uint64_t seed_ = 1;
};

double split_loss(train::EvalSource* source, train::Model& model, train::LossKind loss) {
  if (source == nullptr) {
    return kNaN;
  }
  torch::NoGradGuard no_grad;
  train::EvalSums sums;
  source->for_each_batch([&](const train::Batch& batch) { sums.add(loss, model.forward(batch.input), batch.target); });
  return sums.loss / sums.loss_count;
}

sweep::ChunkResult RunKernel::run_chunk(const sweep::Task& task, const sweep::Chunk&) {
  TESSERA_CHECK(config_ != nullptr, "a describe-only kernel cannot run");
  const LocoPropSweepConfig& c = *config_;
  const nlohmann::json& p = task.description.params;
  optim::OptimizerConfig inner = c.optim;
  inner.lr = p.at("lr").get<double>();
  LocoPropOptions options;
  options.mode = *mode_from_name(p.at("mode").get<std::string>());
  options.loss = *train::loss_from_name(c.train.loss);
  options.activation_lr = p.value("activation_lr", c.locoprop.activation_lr);
  options.local_iters = p.value("local_iters", c.locoprop.local_iters);
  options.min_lr_fraction = c.locoprop.min_lr_fraction;
  options.prox_eta = c.locoprop.prox_eta;
  options.layer_threads = c.locoprop.layer_threads;

  // Same data order and initial weights for every point.
  train::DataSources data = train::make_data_sources(c.data, {0, 1, seed_}, 1000, true);
  torch::manual_seed(seed_);
  std::shared_ptr<train::Model> model = train::make_model(c.model);
  auto& stack = dynamic_cast<train::DenseStack&>(*model);
  LocoPropStep step(stack, inner, nullptr, options);
  const std::int64_t per_epoch = data.train->batches_per_epoch();
  const std::int64_t total = c.train.steps > 0 ? c.train.steps : c.train.epochs * per_epoch;
  const std::int64_t epochs = (total + per_epoch - 1) / per_epoch;
  optim::LrSchedule schedule(c.train.schedule, inner.lr, total, per_epoch);

  std::vector<double> train_loss{split_loss(data.train_eval.get(), *model, options.loss)};
  std::vector<double> eval_loss{split_loss(data.eval.get(), *model, options.loss)};
  std::vector<double> seconds{0.0};
  double trained = 0;
  bool diverged = false;
  for (std::int64_t s = 0; s < total && !diverged; ++s) {
    train::Batch batch = data.train->next();
    const auto start = Clock::now();
    step.step(std::span<const train::Batch>(&batch, 1), schedule.lr(s));
    trained += std::chrono::duration<double>(Clock::now() - start).count();
    if ((s + 1) % per_epoch == 0 || s + 1 == total) {
      train_loss.push_back(split_loss(data.train_eval.get(), *model, options.loss));
      eval_loss.push_back(split_loss(data.eval.get(), *model, options.loss));
      seconds.push_back(trained);
      diverged = !std::isfinite(train_loss.back()) || train_loss.back() > 1000;
    }
  }
  const std::size_t points = static_cast<std::size_t>(epochs) + 1;
  train_loss.resize(points, kNaN);
  eval_loss.resize(points, kNaN);
  seconds.resize(points, kNaN);
  spdlog::info("locoprop_sweep {} lr {}: train loss {:.4g} -> {:.4g} in {:.0f}s{}", mode_name(options.mode), inner.lr,
               train_loss.front(), train_loss.back(), trained, diverged ? " (diverged, stopped)" : "");
  sweep::ChunkResult result;
  result.counts.shots = 1;
  result.counts.errors = diverged ? 1 : 0;
  result.arrays["train_loss"] = {{points}, train_loss};
  result.arrays["eval_loss"] = {{points}, eval_loss};
  result.arrays["train_seconds"] = {{points}, seconds};
  return result;
}

struct RunCurve {
  std::string mode;
  double lr = 0;
  std::vector<double> train_loss, eval_loss, seconds;
  double final() const { return std::isfinite(train_loss.back()) ? train_loss.back() : kNaN; }
};

// analysis.txt: every run, the best lr per mode, and the paper's ordering.
std::string analysis(const std::vector<RunCurve>& runs, std::map<std::string, const RunCurve*>& best) {
  std::string text = fmt::format("{:<11} {:>9} {:>12} {:>12} {:>10}\n", "mode", "lr", "train loss", "eval loss",
                                 "train s");
  for (const RunCurve& r : runs) {
    text += fmt::format("{:<11} {:>9.3g} {:>12.4f} {:>12.4f} {:>10.0f}\n", r.mode, r.lr, r.final(),
                        r.eval_loss.back(), r.seconds.back());
    const RunCurve*& b = best[r.mode];
    if (std::isfinite(r.final()) && (b == nullptr || r.final() < b->final())) {
      b = &r;
    }
  }
  text += "best learning rate per mode (lowest final train loss):\n";
  for (const auto& [mode, r] : best) {
    if (r != nullptr) {
      text += fmt::format("  {:<11} lr {:.3g}: train loss {:.4f}, eval loss {:.4f}, {:.0f}s of training\n", mode,
                          r->lr, r->final(), r->eval_loss.back(), r->seconds.back());
    }
  }
  auto final_of = [&](const char* mode) { return best.count(mode) && best[mode] ? best[mode]->final() : kNaN; };
  const double m = final_of("locoprop_m");
  const double s = final_of("locoprop_s");
  const double bp = final_of("bp");
  if (std::isfinite(m) && std::isfinite(s) && std::isfinite(bp)) {
    text += fmt::format("LocoProp-M < LocoProp-S < bp (final train loss {:.4f} / {:.4f} / {:.4f}): {}\n", m, s, bp,
                        m < s && s < bp ? "holds" : "does NOT hold");
  }
  return text;
}

}  // namespace

void LocoPropSweepConfig::fields(config::Fields& f) {
  static const RunKernel kValidator;
  sweep.kernel = &kValidator;
  f("data", data, "training and evaluation data (batch_size: samples per step of each run)");
  f("model", model, "the network: kind mlp or autoencoder");
  f("optim", optim, "each layer's inner optimizer (its lr is the grid's)");
  f("train", train, "run length, loss and learning-rate schedule of each run");
  f("locoprop", locoprop, "defaults of the local losses (mode and lr come from the grid)");
  f("sweep", sweep, "the grid of runs: mode, lr (required), activation_lr, local_iters");
  f("plot", plot, "draw train_loss.png (best run per mode vs epoch and wall-clock) at the end");
  if (f.parsing() && model.kind == "cnn") {
    f.issue("model", "locoprop needs a stack of dense layers (kind mlp or autoencoder)");
  }
}

void LocoPropSweepJob::run(runtime::JobContext& context) {
  train::set_torch_threads(context.spec.runtime.threads_per_rank);
  RunKernel kernel(config_, context.spec.seed);
  sweep::SweepEngine engine(config_.sweep, kernel, context);
  std::vector<sweep::TaskRecord> records = engine.run();
  if (context.launch.rank != 0 || records.empty()) {
    return;
  }
  records.resize(std::min(records.size(), engine.tasks().size()));
  std::vector<RunCurve> runs;
  for (const sweep::TaskRecord& record : records) {
    if (!record.finished || !record.total.arrays.count("train_loss")) {
      continue;
    }
    runs.push_back({record.params.at("mode").get<std::string>(), record.params.at("lr").get<double>(),
                    record.total.arrays.at("train_loss").values, record.total.arrays.at("eval_loss").values,
                    record.total.arrays.at("train_seconds").values});
  }
  std::map<std::string, const RunCurve*> best;
  const std::string table = analysis(runs, best);
  runtime::write_file_atomically(context.run_dir.root() / "analysis.txt", table);
  spdlog::info("locoprop_sweep{}:\n{}", engine.stopped() ? " (so far; the sweep was stopped)" : "", table);
  if (!config_.plot || best.empty()) {
    return;
  }
  std::vector<runtime::LabelledSeries> series;
  for (const auto& [mode, r] : best) {
    if (r == nullptr) {
      continue;
    }
    runtime::LabelledSeries line{fmt::format("{} lr {:.3g}", mode, r->lr), {}};
    for (std::size_t e = 0; e < r->train_loss.size() && std::isfinite(r->train_loss[e]); ++e) {
      line.series.steps.push_back(static_cast<std::int64_t>(e));
      line.series.values.push_back(r->train_loss[e]);
      line.series.times.push_back(r->seconds[e]);
    }
    series.push_back(std::move(line));
  }
  const auto figure = context.run_dir.root() / "train_loss.png";
  try {
    runtime::render_metric_figure(figure, "train loss (x: epoch | training seconds)", series,
                                  {.out_dir = context.run_dir.root(), .x = "both"});
    spdlog::info("locoprop_sweep: figure {}", figure.string());
  } catch (const IoError& e) {
    spdlog::warn("locoprop_sweep: no figure: {}", e.what());
  }
}

void register_locoprop_sweep(runtime::JobRegistry& registry) {
  registry.add<LocoPropSweepConfig, LocoPropSweepJob>(
      "locoprop_sweep", "a grid of LocoProp/bp training runs (one per rank at a time), best lr per method, plot");
}

}  // namespace tessera::jobs::locoprop
