// runtime.device: cuda runs the moe job with a GPU per rank: tokens cross
// ranks through NCCL's all-to-all (grouped send/recv) on CUDA tensors.
// Needs two visible GPUs (ep_size 2 on 2 ranks); skipped elsewhere (CI,
// Debian's CPU-only LibTorch).

#include <cmath>

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "datasets/text_shards.h"
#include "runtime/metrics_writer.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace tessera {
namespace {

TEST(MoeGpu, CudaExpertParallelRunFollowsTheCpuRun) {
  if (!torch::cuda::is_available() || torch::cuda::device_count() < 2) {
    GTEST_SKIP() << "needs 2 CUDA devices visible to LibTorch (ep_size 2 on 2 ranks)";
  }
  testing::TempDir dir;
  datasets::TextShardsOptions data;
  data.inputs = {"/usr/share/games/fortunes/computers"};
  data.out = dir / "data";
  data.seq_len = 33;
  data.per_shard = 1'000'000;
  datasets::convert_text(data);
  testing::write_text(dir / "job.yaml",
                      "job: moe\nname: gpu\n"
                      "data:\n  train: \"" + (dir / "data").string() + "/text-train-000000.tar\"\n"
                      "  fields: {tokens: npy}\n  mode: memory\n  batch_size: 16\n"
                      "model: {d_model: 32, heads: 2, layers: 2, d_ff: 32, max_seq: 32}\n"
                      "moe: {experts: 4, top_k: 2, ep_size: 2}\n"
                      "optim: {kind: adamw, lr: 3.0e-3}\n"
                      "train: {steps: 6, log_every: 1}\n");
  std::vector<std::vector<double>> losses;
  for (const char* device : {"cpu", "cuda"}) {
    const std::filesystem::path out = dir / device;
    std::vector<std::string> argv = testing::mpirun(2);
    for (const std::string& a : {std::string(TESSERA_BIN), std::string("run"), (dir / "job.yaml").string(),
                                 "output.dir=" + out.string(), std::string("runtime.device=") + device}) {
      argv.push_back(a);
    }
    testing::CommandResult r = testing::run_command(argv, std::chrono::seconds(240));
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
