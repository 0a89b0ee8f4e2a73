// runtime.device: cuda runs the same config on a GPU per rank. Skipped where
// LibTorch has no CUDA or no GPU is visible (CI, Debian's CPU-only LibTorch).

#include <cmath>

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "datasets/fashion_mnist.h"
#include "runtime/metrics_writer.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

TEST(DataParallelGpu, CudaRunFollowsTheCpuRun) {
  if (!torch::cuda::is_available()) {
    GTEST_SKIP() << "no CUDA device visible to LibTorch (a CPU-only build or no GPU)";
  }
  testing::TempDir dir;
  datasets::FashionMnistOptions data;
  data.out = dir / "data";
  data.limit = 2048;
  data.per_shard = 512;
  datasets::convert_fashion_mnist(data);
  testing::write_text(dir / "job.yaml",
                      "job: data_parallel\nname: gpu\nplot: false\n"
                      "data:\n  train: \"" + (dir / "data").string() + "/fmnist-train-{000000..000003}.tar\"\n"
                      "  fields: {image: npy, label: cls}\n  mode: memory\n  batch_size: 64\n"
                      "model: {kind: mlp, layers: [784, 64, 10]}\n"
                      "optim: {kind: sgd, lr: 0.05, momentum: 0.9}\n"
                      "train: {steps: 10, loss: softmax_ce, log_every: 1, eval_every_epochs: 0}\n");
  std::vector<std::vector<double>> losses;
  for (const char* device : {"cpu", "cuda"}) {
    const std::filesystem::path out = dir / device;
    testing::CommandResult r = testing::run_command(
        {TESSERA_BIN, "run", (dir / "job.yaml").string(), "output.dir=" + out.string(),
         std::string("runtime.device=") + device});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    losses.push_back(runtime::read_metric(out / "metrics.h5", "loss").values);
  }
  ASSERT_EQ(losses[0].size(), losses[1].size());
  for (std::size_t i = 0; i < losses[0].size(); ++i) {
    EXPECT_NEAR(losses[1][i], losses[0][i], 1e-3 * std::abs(losses[0][i])) << "step " << i + 1;
  }
}

}  // namespace
}  // namespace tessera
