// Expert parallelism against one rank holding every expert (mpiexec -n 2 and
// -n 4): each rank routes its own tokens; the distributed layer must give the
// same outputs, loss and gradients as a single-rank layer applied to each
// rank's tokens in turn, to float tolerance, in dropless and capacity modes
// (per-rank capacity, so the same copies are dropped), with ep_size equal to
// the world and (on 4 ranks) ep_size 2 with two expert-data-parallel replicas.

#include <mpi.h>

#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "comm/mpi/mpi_communicator.h"
#include "comm/torch/tensor_buffer.h"
#include "jobs/moe/moe_layer.h"

namespace tessera::jobs::moe {
namespace {

constexpr int kModel = 16;
constexpr int kHidden = 24;
constexpr int kTokens = 40;  // per rank

torch::Tensor seeded_randn(std::uint64_t seed, std::vector<std::int64_t> shape) {
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, g, torch::TensorOptions().dtype(torch::kFloat));
}

torch::Tensor summed(comm::Communicator& comm, torch::Tensor t) {
  t = t.contiguous().clone();
  comm.all_reduce(comm::as_buffer(t)).wait();
  return t;
}

struct Case {
  std::string name;
  double capacity_factor = 0;
  std::string router = "topk_softmax";
  std::string expert = "swiglu";
  std::string compute = "loop";
};

void expect_matches_one_rank(const Case& c, int ep_size) {
  SCOPED_TRACE(c.name + ", ep_size " + std::to_string(ep_size));
  std::unique_ptr<comm::MpiCommunicator> world = comm::MpiCommunicator::create(MPI_COMM_WORLD);
  const int rank = world->rank();
  const int size = world->size();
  std::unique_ptr<comm::Communicator> ep = world->split(rank / ep_size, rank);
  std::unique_ptr<comm::Communicator> expert_dp = world->split(rank % ep_size, rank);

  MoeLayerConfig config;
  config.experts = 8;
  config.top_k = 2;
  config.capacity_factor = c.capacity_factor;
  config.router = c.router;
  config.expert = c.expert;
  config.expert_compute = c.compute;
  config.ep_size = ep_size;
  MoeLayer layer(kModel, kHidden, config, ep.get(), /*seed=*/11);
  MoeLayerConfig single = config;
  single.ep_size = 1;
  single.expert_compute = "loop";
  MoeLayer reference(kModel, kHidden, single, nullptr, /*seed=*/11);

  // Distributed: this rank's tokens.
  torch::Tensor x = seeded_randn(100 + rank, {kTokens, kModel});
  torch::Tensor g = seeded_randn(200 + rank, {kTokens, kModel});
  torch::Tensor y = layer.forward(x);
  torch::Tensor loss = (y * g).sum() + layer.loss();
  loss.backward();
  const double dropped = layer.stats().dropped_fraction;

  // One rank with every expert, each rank's tokens in turn.
  torch::Tensor ref_loss = torch::zeros({});
  torch::Tensor ref_y;
  double ref_dropped = 0;
  for (int r = 0; r < size; ++r) {
    torch::Tensor yr = reference.forward(seeded_randn(100 + r, {kTokens, kModel}));
    ref_loss = ref_loss + (yr * seeded_randn(200 + r, {kTokens, kModel})).sum() + reference.loss();
    if (r == rank) {
      ref_y = yr.detach();
      ref_dropped = reference.stats().dropped_fraction;
    }
  }
  ref_loss.backward();

  EXPECT_TRUE(torch::allclose(y, ref_y, 1e-4, 1e-5)) << (y - ref_y).abs().max().item<double>();
  EXPECT_DOUBLE_EQ(dropped, ref_dropped);
  if (c.capacity_factor > 0) {
    EXPECT_GT(dropped, 0) << "the capacity case should drop something";
  }
  EXPECT_NEAR(summed(*world, loss.detach()).item<double>(), ref_loss.item<double>(),
              1e-4 * std::abs(ref_loss.item<double>()) + 1e-4);

  for (const auto& item : layer.named_parameters()) {
    torch::Tensor grad = item.value().grad();
    ASSERT_TRUE(grad.defined()) << item.key();
    torch::Tensor expected = reference.named_parameters()[item.key()].grad();
    if (MoeLayer::is_expert_parameter(item.key())) {
      // Complete over the EP group already; replicas add over expert-DP.
      grad = summed(*expert_dp, grad);
      expected = expected.narrow(0, layer.first_expert(), layer.local_experts());
    } else {
      grad = summed(*world, grad);
    }
    EXPECT_TRUE(torch::allclose(grad, expected, 1e-4, 1e-5))
        << item.key() << " max diff " << (grad - expected).abs().max().item<double>();
  }
}

const std::vector<Case> kCases = {
    {.name = "dropless"},
    {.name = "capacity 1.0", .capacity_factor = 1.0},
    {.name = "dropless, switch router, mlp experts, batched", .router = "softmax_topk", .expert = "mlp",
     .compute = "batched"},
    {.name = "capacity 0.75, batched", .capacity_factor = 0.75, .compute = "batched"},
};

TEST(MoeLayerMpi, ExpertParallelOverTheWholeWorldMatchesOneRank) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (const Case& c : kCases) {
    expect_matches_one_rank(c, size);
  }
}

TEST(MoeLayerMpi, ExpertParallelTimesDataParallelMatchesOneRank) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 4) {
    GTEST_SKIP() << "needs 4 ranks for ep_size 2 x 2 replicas (run by the np4 variant)";
  }
  for (const Case& c : kCases) {
    expect_matches_one_rank(c, 2);
  }
}

TEST(MoeLayerMpi, ExchangeCountsAndRowsRoundTrip) {
  std::unique_ptr<comm::MpiCommunicator> world = comm::MpiCommunicator::create(MPI_COMM_WORLD);
  const int rank = world->rank();
  const int size = world->size();
  // Rank r sends (r + j) rows to rank j, each row filled with 100*r + j.
  std::vector<std::int64_t> send(size);
  std::vector<torch::Tensor> blocks;
  for (int j = 0; j < size; ++j) {
    send[j] = rank + j;
    blocks.push_back(torch::full({rank + j, 3}, 100.0 * rank + j));
  }
  std::vector<std::int64_t> recv = exchange_counts(*world, send);
  for (int j = 0; j < size; ++j) {
    EXPECT_EQ(recv[j], j + rank);
  }
  torch::Tensor rows = torch::cat(blocks).requires_grad_(true);
  ExchangeTimer timer;
  torch::Tensor got = exchange_rows(*world, rows, send, recv, &timer);
  std::int64_t offset = 0;
  for (int j = 0; j < size; ++j) {
    torch::Tensor block = got.narrow(0, offset, recv[j]);
    EXPECT_TRUE(torch::all(block == 100.0 * j + rank).item<bool>()) << "from rank " << j;
    offset += recv[j];
  }
  // Backward sends gradients home: d(sum(got * c))/d rows = c of the receiver.
  (got * (rank + 1.0)).sum().backward();
  offset = 0;
  for (int j = 0; j < size; ++j) {
    torch::Tensor block = rows.grad().narrow(0, offset, send[j]);
    EXPECT_TRUE(torch::all(block == j + 1.0).item<bool>()) << "to rank " << j;
    offset += send[j];
  }
  EXPECT_GT(timer.seconds, 0);
}

}  // namespace
}  // namespace tessera::jobs::moe
