// Models and optimizers through a real checkpoint store and back.

#include "jobs/train/module_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "jobs/train/model_factory.h"
#include "optim/optimizer_factory.h"
#include "runtime/checkpoint/checkpoint_store.h"
#include "tests/testing/temp_dir.h"

namespace tessera::jobs::train {
namespace {

TEST(ModuleState, ModelAndOptimizerSurviveACheckpoint) {
  testing::TempDir dir;
  runtime::SoloCoordinator coordinator;
  ModelConfig model_config;
  model_config.kind = "cnn";
  model_config.channels = {2};
  model_config.layers = {8, 3};
  optim::OptimizerConfig optim_config;
  optim_config.kind = "adam";
  torch::manual_seed(1);
  auto model = make_model(model_config);
  auto optimizer = optim::make_optimizer(optim_config, model->parameters());
  torch::Tensor x = torch::rand({4, 784});
  optimizer->zero_grad();
  model->forward(x).square().sum().backward();
  optimizer->step();
  {
    runtime::CheckpointStore store(dir / "ckpt", coordinator, runtime::CheckpointConfig{},
                                   {"test", "test", "job: test\n", {}});
    runtime::CheckpointState state(1);
    save_module(state, "model", *model);
    save_optimizer(state, "optimizer", *optimizer);
    store.save(std::move(state));
  }
  torch::manual_seed(2);
  auto fresh = make_model(model_config);
  auto fresh_optimizer = optim::make_optimizer(optim_config, fresh->parameters());
  runtime::CheckpointStore store(dir / "ckpt", coordinator, runtime::CheckpointConfig{},
                                 {"test", "test", "job: test\n", {}});
  const runtime::Checkpoint* checkpoint = store.resume();
  ASSERT_NE(checkpoint, nullptr);
  EXPECT_TRUE(checkpoint->contains("model/conv1.weight"));
  load_module(*checkpoint, "model", *fresh);
  load_optimizer(*checkpoint, "optimizer", *fresh_optimizer);
  auto a = model->parameters();
  auto b = fresh->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  }
  // One more identical step on both keeps them bitwise equal (optimizer state restored).
  for (auto* pair : {&model, &fresh}) {
    auto& opt = pair == &model ? optimizer : fresh_optimizer;
    opt->zero_grad();
    (*pair)->forward(x).square().sum().backward();
    opt->step();
  }
  a = model->parameters();
  b = fresh->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  }
}

}  // namespace
}  // namespace tessera::jobs::train
