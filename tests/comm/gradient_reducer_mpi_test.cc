// The gradient reducer over MPI (mpiexec -n 2 and -n 4): the mean of the
// per-rank gradients, bitwise with 2 ranks (a + b is one rounding either way)
// and to float rounding with 4 (Open MPI picks the summation order), and
// no_sync accumulation.

#include <mpi.h>

#include "comm/mpi/mpi_communicator.h"
#include "comm/torch/gradient_reducer.h"
#include "tests/comm/reducer_test_models.h"

namespace tessera::comm::testing {
namespace {

TEST(GradientReducerMpi, GradientsAreTheMeanOfEveryRanksGradients) {
  std::unique_ptr<MpiCommunicator> comm = MpiCommunicator::create(MPI_COMM_WORLD);
  Mlp model(seeded(20 + comm->rank()));  // rank 0's parameters win
  GradientReducer reducer(*model, *comm, {.first_bucket_mb = 0.01, .bucket_mb = 0.05});
  for (int step = 0; step < 2; ++step) {
    for (auto& p : model->parameters()) {
      p.grad().zero_();
    }
    const auto [x, y] = batch(10 * step + comm->rank(), 16);
    loss(model, x, y).backward();
    expect_mean_of_local_gradients(*comm, model, x, y, /*bitwise=*/comm->size() <= 2);
  }
}

TEST(GradientReducerMpi, NoSyncThenSyncAveragesTheAccumulatedGradients) {
  std::unique_ptr<MpiCommunicator> comm = MpiCommunicator::create(MPI_COMM_WORLD);
  Mlp model(seeded(5));
  GradientReducer reducer(*model, *comm);
  const auto [x1, y1] = batch(comm->rank(), 8);
  const auto [x2, y2] = batch(50 + comm->rank(), 8);
  {
    auto guard = reducer.no_sync();
    sum_loss(model, x1, y1).backward();
  }
  sum_loss(model, x2, y2).backward();
  Mlp reference(seeded(5));
  sum_loss(reference, torch::cat({x1, x2}), torch::cat({y1, y2})).backward();
  auto ref = reference->parameters();
  auto got = model->parameters();
  for (std::size_t k = 0; k < ref.size(); ++k) {
    torch::Tensor g = ref[k].grad().clone();
    comm->all_reduce(as_buffer(g), {.op = ReduceOp::kAvg}).wait();
    EXPECT_TRUE(torch::allclose(got[k].grad(), g, 1e-5, 1e-6)) << "parameter " << k;
  }
}

}  // namespace
}  // namespace tessera::comm::testing
