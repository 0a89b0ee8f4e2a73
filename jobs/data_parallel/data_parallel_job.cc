#include "jobs/data_parallel/data_parallel_job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <torch/types.h>

#include "comm/factory.h"
#include "comm/torch/gradient_reducer.h"

#include "jobs/train/backprop_step.h"
#include "jobs/train/model_factory.h"
#include "jobs/train/reducer_grad_sync.h"
#include "jobs/train/shard_sources.h"
#include "jobs/train/torch_threads.h"
#include "jobs/train/trainer.h"
#include "jobs/train/training_device.h"
#include "optim/optimizer_factory.h"
#include "runtime/error.h"
#include "runtime/job_registry.h"
#include "runtime/plot/run_plots.h"

namespace tessera::jobs::data_parallel {
namespace {

comm::ReducerOptions reducer_options(const DdpConfig& ddp) {
  comm::ReducerOptions options;
  options.first_bucket_mb = ddp.first_bucket_mb;
  options.bucket_mb = ddp.bucket_mb;
  options.find_unused_parameters = ddp.find_unused_parameters;
  return options;
}

// The run's figures, drawn by rank 0 once the metrics are on disk.
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

void DataParallelJob::run(runtime::JobContext& context) {
  const runtime::JobSpec& spec = context.spec;
  train::set_torch_threads(spec.runtime.threads_per_rank);
  const c10::Device device = train::training_device(context);
  std::unique_ptr<comm::Communicator> world = comm::make_communicator(spec.runtime, context.launch);
  const int rank = world->rank();
  const int size = world->size();
  train::DataSources data = train::make_data_sources(config_.data, {rank, size, spec.seed},
                                                     config_.train.eval_batch, config_.train.eval_train);

  torch::manual_seed(spec.seed);
  std::shared_ptr<train::Model> model = train::make_model(config_.model);
  model->to(device);
  if (rank == 0) {
    spdlog::info("model: {}", model->describe());
  }
  // Broadcasts rank 0's parameters and buffers, then averages gradients.
  comm::GradientReducer reducer(*model, *world, reducer_options(config_.ddp));
  train::ReducerGradSync sync(reducer);
  std::unique_ptr<torch::optim::Optimizer> optimizer = optim::make_optimizer(config_.optim, model->parameters());
  train::BackpropStep step(*model, *optimizer, sync,
                           {*train::loss_from_name(config_.train.loss), config_.train.clip_grad_norm});

  train::TrainerParts parts;
  parts.model = model.get();
  parts.runner = &step;
  parts.train = data.train.get();
  parts.eval = data.eval.get();
  parts.train_eval = data.train_eval.get();
  parts.device = device;
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

void register_data_parallel(runtime::JobRegistry& registry) {
  registry.add<DataParallelConfig, DataParallelJob>(
      "data_parallel", "DDP-style training: models from config, bucketed all-reduce overlapping backward");
}

}  // namespace tessera::jobs::data_parallel
