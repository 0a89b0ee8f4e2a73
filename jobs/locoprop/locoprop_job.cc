#include "jobs/locoprop/locoprop_job.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <torch/types.h>

#include "comm/factory.h"
#include "comm/torch/tensor_buffer.h"
#include "jobs/locoprop/locoprop_step.h"
#include "jobs/locoprop/locoprop_sweep.h"
#include "jobs/train/dense_stack.h"
#include "jobs/train/model_factory.h"
#include "jobs/train/shard_sources.h"
#include "jobs/train/torch_threads.h"
#include "jobs/train/trainer.h"
#include "runtime/error.h"
#include "runtime/job_registry.h"
#include "runtime/plot/run_plots.h"

namespace tessera::jobs::locoprop {
namespace {

LocoPropOptions options_of(const LocoPropConfig& config) {
  LocoPropOptions o;
  o.mode = *mode_from_name(config.locoprop.mode);
  o.loss = *train::loss_from_name(config.train.loss);
  o.activation_lr = config.locoprop.activation_lr;
  o.local_iters = config.locoprop.local_iters;
  o.min_lr_fraction = config.locoprop.min_lr_fraction;
  o.prox_eta = config.locoprop.prox_eta;
  o.parallel = config.locoprop.parallel == "layers" ? Parallel::kLayers : Parallel::kData;
  o.layer_threads = config.locoprop.layer_threads;
  o.bucket_mb = config.locoprop.bucket_mb;
  return o;
}

// Every rank starts from rank 0's parameters.
void broadcast_parameters(train::Model& model, comm::Communicator& world) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : model.parameters()) {
    world.broadcast(comm::as_buffer(p), {.root = 0}).wait();
  }
}

void draw_plots(runtime::JobContext& context) {
  context.metrics.flush();
  try {
    auto files = runtime::plot_runs({context.run_dir.root()}, {.out_dir = context.run_dir.root() / "plots"});
    spdlog::info("plots of {} metrics in {}", files.size(), (context.run_dir.root() / "plots").string());
  } catch (const IoError& e) {
    spdlog::warn("no plots: {}", e.what());
  }
}

}  // namespace

void LocoPropJob::run(runtime::JobContext& context) {
  const runtime::JobSpec& spec = context.spec;
  if (spec.runtime.device != "cpu") {
    throw ConfigError(fmt::format("runtime.device = {} (the locoprop job runs on CPU)", spec.runtime.device));
  }
  train::set_torch_threads(spec.runtime.threads_per_rank);
  std::unique_ptr<comm::Communicator> world = comm::make_communicator(spec.runtime, context.launch);
  const int rank = world->rank();
  const int size = world->size();
  train::DataSources data = train::make_data_sources(config_.data, {rank, size, spec.seed},
                                                     config_.train.eval_batch, config_.train.eval_train);
  torch::manual_seed(spec.seed);
  std::shared_ptr<train::Model> model = train::make_model(config_.model);
  auto* stack = dynamic_cast<train::DenseStack*>(model.get());
  if (stack == nullptr) {
    throw ConfigError("model.kind = " + config_.model.kind + " (locoprop needs mlp or autoencoder)");
  }
  broadcast_parameters(*model, *world);
  const LocoPropOptions options = options_of(config_);
  LocoPropStep step(*stack, config_.optim, world.get(), options);
  if (rank == 0) {
    spdlog::info("model: {}; {} K={} gamma={} inner {} lr {}, parallel: {}{}", model->describe(), config_.locoprop.mode,
                 options.local_iters, options.activation_lr, config_.optim.kind, config_.optim.lr,
                 config_.locoprop.parallel,
                 options.parallel == Parallel::kLayers ? fmt::format(" (layer owners {})", step.owners()) : "");
  }

  train::TrainerParts parts;
  parts.model = model.get();
  parts.runner = &step;
  parts.train = data.train.get();
  parts.eval = data.eval.get();
  parts.train_eval = data.train_eval.get();
  parts.global_batch = config_.data.loader.batch_size;
  parts.base_lr = config_.optim.lr;
  train::Trainer trainer(config_.train, parts, context);
  train::TrainSummary summary = trainer.run();

  if (rank == 0) {
    train::log_summary(summary);
    if (config_.plot && !summary.stopped) {
      draw_plots(context);
    }
  }
}

void register_locoprop(runtime::JobRegistry& registry) {
  registry.add<LocoPropConfig, LocoPropJob>(
      "locoprop", "LocoProp-S/M local-loss training (bp baseline), data- or layer-parallel over ranks");
  register_locoprop_sweep(registry);
}

}  // namespace tessera::jobs::locoprop
