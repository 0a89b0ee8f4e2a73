#include "jobs/moe/moe_job.h"

#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <torch/types.h>

#include "comm/factory.h"
#include "comm/torch/gradient_reducer.h"
#include "comm/torch/tensor_buffer.h"
#include "jobs/moe/moe_lm.h"
#include "jobs/moe/moe_step.h"
#include "jobs/train/memory_source.h"
#include "jobs/train/reducer_grad_sync.h"
#include "jobs/train/shard_sources.h"
#include "jobs/train/torch_threads.h"
#include "jobs/train/trainer.h"
#include "jobs/train/training_device.h"
#include "optim/optimizer_factory.h"
#include "runtime/error.h"

namespace tessera::jobs::moe {
namespace {

// Entropy in bits of the byte histogram of `bytes` (the unigram model's loss).
double unigram_bits(const torch::Tensor& bytes) {
  torch::Tensor counts = torch::bincount(bytes.reshape({-1}).to(torch::kLong), {}, 256).to(torch::kDouble);
  torch::Tensor p = counts / counts.sum();
  torch::Tensor nonzero = p.masked_select(p > 0);
  return -(nonzero * torch::log2(nonzero)).sum().item<double>();
}

// Mean next-byte loss (nats) over the whole eval split. Batches are dealt
// round-robin over the ranks, and every rank runs the same number of
// forwards (a rank without a batch of its own repeats one with weight 0), so
// the MoE layers' exchanges stay matched.
double evaluate(MoeLm& model, const torch::Tensor& split, std::int64_t batch, comm::Communicator& world,
                const c10::Device& device) {
  const std::int64_t n = split.size(0);
  const std::int64_t batches = (n + batch - 1) / batch;
  const std::int64_t rounds = (batches + world.size() - 1) / world.size();
  torch::Tensor sums = torch::zeros({2}, torch::kDouble);  // loss * tokens, tokens
  model.eval();
  torch::NoGradGuard no_grad;
  for (std::int64_t round = 0; round < rounds; ++round) {
    const std::int64_t b = round * world.size() + world.rank();
    const bool mine = b < batches;
    const std::int64_t start = (mine ? b : 0) * batch;
    torch::Tensor input = split.narrow(0, start, std::min(batch, n - start)).to(device, torch::kFloat);
    const double loss = MoeLm::next_byte_loss(model.forward(input), input).item<double>();
    if (mine) {
      const double tokens = static_cast<double>(input.size(0) * (input.size(1) - 1));
      sums[0] += loss * tokens;
      sums[1] += tokens;
    }
  }
  sums = sums.to(device);
  world.all_reduce(comm::as_buffer(sums)).wait();
  sums = sums.to(torch::kCPU);
  model.train();
  return sums[0].item<double>() / sums[1].item<double>();
}

}  // namespace

void MoeJob::run(runtime::JobContext& context) {
  const runtime::JobSpec& spec = context.spec;
  train::set_torch_threads(spec.runtime.threads_per_rank);
  const c10::Device device = train::training_device(context);
  std::unique_ptr<comm::Communicator> world = comm::make_communicator(spec.runtime, context.launch);
  const int rank = world->rank();
  const int size = world->size();
  const int ep_size = config_.moe.ep_size;
  if (size % ep_size != 0) {
    throw ConfigError(fmt::format("moe.ep_size = {} (must divide the {} ranks)", ep_size, size));
  }
  if (config_.moe.experts % ep_size != 0) {
    throw ConfigError(fmt::format("moe.ep_size = {} (must divide moe.experts = {})", ep_size, config_.moe.experts));
  }
  // Expert-parallel group: consecutive ranks; expert-data-parallel: equal rank % ep_size.
  std::unique_ptr<comm::Communicator> ep = world->split(rank / ep_size, rank);
  std::unique_ptr<comm::Communicator> expert_dp = world->split(rank % ep_size, rank);

  train::TrainDataConfig data = config_.data;
  if (data.mode != "memory") {
    throw ConfigError(fmt::format("data.mode = {} (job moe reads its text windows in memory)", data.mode));
  }
  const std::int64_t global = data.loader.batch_size;
  if (global % size != 0) {
    throw ConfigError(fmt::format("data.batch_size = {} (must be divisible by the {} ranks)", global, size));
  }
  train::MemoryDataset split = train::load_split(data, data.loader.train);
  const double unigram = unigram_bits(split.inputs);
  train::MemorySource source(std::move(split), {global, rank, size, data.loader.shuffle > 0, spec.seed,
                                                train::sample_format(data)});

  torch::manual_seed(spec.seed);
  MoeLm model(config_.model, config_.moe, ep.get(), spec.seed);
  model.to(device);
  if (rank == 0) {
    spdlog::info("model: {}; {} ranks = {} data-parallel x ep_size {}", model.describe(), size, size / ep_size,
                 ep_size);
  }
  comm::ParameterGroup shared{{}, world.get()};
  comm::ParameterGroup experts{{}, expert_dp.get()};
  for (const auto& item : model.named_parameters()) {
    (MoeLm::is_expert_parameter(item.key()) ? experts : shared).parameters.push_back({item.key(), item.value()});
  }
  comm::ReducerOptions reducer_options;
  reducer_options.bucket_mb = config_.ddp.bucket_mb;
  reducer_options.first_bucket_mb = config_.ddp.first_bucket_mb;
  comm::GradientReducer reducer({std::move(shared), std::move(experts)}, {}, *world, reducer_options);
  train::ReducerGradSync sync(reducer);
  std::unique_ptr<torch::optim::Optimizer> optimizer = optim::make_optimizer(config_.optim, model.parameters());
  MoeStep step(model, *optimizer, sync, ep.get(), config_.train.clip_grad_norm);

  train::TrainerParts parts;
  parts.model = &model;
  parts.runner = &step;
  parts.train = &source;
  parts.device = device;
  parts.global_batch = global;
  parts.base_lr = config_.optim.lr;
  train::Trainer trainer(config_.train, parts, context);
  train::TrainSummary summary = trainer.run();
  if (summary.stopped) {
    return;
  }
  if (!data.loader.eval.empty()) {
    const double eval =
        evaluate(model, train::load_split(data, data.loader.eval).inputs, config_.eval_batch, *world, device);
    const double bits = eval / std::log(2.0);
    context.metrics.append(summary.steps, "eval/loss", eval);
    context.metrics.append(summary.steps, "eval/bits_per_byte", bits);
    context.metrics.append(summary.steps, "data/unigram_bits_per_byte", unigram);
    if (rank == 0) {
      spdlog::info("after {} steps: train loss {:.4f} nats/byte; eval loss {:.6f} nats/byte = {:.4f} bits/byte; "
                   "unigram entropy of the training text {:.4f} bits/byte",
                   summary.steps, summary.last_loss, eval, bits, unigram);
    }
  }
}

void register_moe(runtime::JobRegistry& registry) {
  registry.add<MoeJobConfig, MoeJob>(
      "moe", "Mixture-of-Experts byte LM: top-k routing, expert parallelism over all_to_allv, EP x DP groups");
}

}  // namespace tessera::jobs::moe
