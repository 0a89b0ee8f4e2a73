// CheckpointStore in one process: save, resume, keep, fallback past damage,
// refusal of incompatible checkpoints, async == sync bytes.

#include "runtime/checkpoint/checkpoint_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "runtime/checkpoint/checkpoint_catalog.h"
#include "runtime/error.h"
#include "tests/testing/temp_dir.h"

namespace tessera::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kConfig = "job: toy\nseed: 1\nmodel: {width: 8}\ncheckpoint: {keep: 3}\n";

CheckpointIdentity identity(std::string config = kConfig, std::string job = "toy") {
  return {std::move(job), "toy-run", std::move(config), {"train.epochs"}};
}

CheckpointConfig config(int keep = 3, std::string resume = "auto") {
  CheckpointConfig c;
  c.keep = keep;
  c.resume = std::move(resume);
  return c;
}

// A small job state that depends on the step.
struct Toy {
  std::vector<float> weights;
  std::vector<std::int64_t> counts;
  std::string rng;

  explicit Toy(std::int64_t step) : weights(64), counts(5) {
    std::mt19937 gen(static_cast<unsigned>(step));
    for (float& w : weights) {
      w = std::uniform_real_distribution<float>(-1, 1)(gen);
    }
    for (std::size_t i = 0; i < counts.size(); ++i) {
      counts[i] = step * 10 + static_cast<std::int64_t>(i);
    }
    rng = "rng-of-step-" + std::to_string(step) + std::string("\0\x01\xff", 3);
  }

  CheckpointState state(std::int64_t step) const {
    CheckpointState s(step, step / 10);
    s.add_replicated("model/weights", array_ref(std::span<const float>(weights), {8, 8}));
    s.add_local("sweep/counts", array_ref(std::span<const std::int64_t>(counts)));
    s.set_rng_state(rng);
    s.set_blob("data/train", "position " + std::to_string(step));
    s.set_metadata("note", "hello");
    return s;
  }
};

class CheckpointStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return tmp_ / "checkpoints"; }

  void save_steps(std::initializer_list<std::int64_t> steps, CheckpointConfig c = config()) {
    CheckpointStore store(dir(), coordinator_, c, identity());
    for (std::int64_t step : steps) {
      store.save(Toy(step).state(step));
    }
  }

  std::optional<std::int64_t> resumed_step(CheckpointConfig c = config(), CheckpointIdentity id = identity()) {
    CheckpointStore store(dir(), coordinator_, c, std::move(id));
    const Checkpoint* ckpt = store.resume();
    return ckpt == nullptr ? std::nullopt : std::optional<std::int64_t>(ckpt->step());
  }

  std::filesystem::path step_dir(std::int64_t step) const {
    return dir() / fmt::format("step-{:08d}", step);
  }

  testing::TempDir tmp_;
  SoloCoordinator coordinator_;
};

TEST_F(CheckpointStoreTest, ResumeRestoresArraysRngBlobsAndMetadata) {
  save_steps({10, 20});
  CheckpointStore store(dir(), coordinator_, config(), identity());
  const Checkpoint* ckpt = store.resume();
  ASSERT_NE(ckpt, nullptr);
  EXPECT_EQ(ckpt->step(), 20);
  EXPECT_EQ(ckpt->epoch(), 2);
  EXPECT_EQ(store.resumed(), ckpt);
  Toy expected(20);
  EXPECT_EQ(ckpt->read_vector<float>("model/weights"), expected.weights);
  EXPECT_EQ(ckpt->read_vector<std::int64_t>("sweep/counts"), expected.counts);
  EXPECT_EQ(ckpt->rng_state(), expected.rng);
  EXPECT_EQ(ckpt->blob("data/train"), "position 20");
  EXPECT_EQ(ckpt->blob("data/none"), std::nullopt);
  EXPECT_EQ(ckpt->metadata("note"), "hello");
  EXPECT_THAT(ckpt->names(), ElementsAre("model/weights", "sweep/counts"));
  ASSERT_TRUE(ckpt->info("model/weights").has_value());
  EXPECT_EQ(ckpt->info("model/weights")->shape, (Shape{8, 8}));
  EXPECT_EQ(ckpt->manifest().job, "toy");
  EXPECT_EQ(ckpt->manifest().config, kConfig);
}

TEST_F(CheckpointStoreTest, LatestNamesTheNewestAndOnlyKeepAreKept) {
  save_steps({1, 2, 3, 4, 5}, config(/*keep=*/2));
  std::vector<CheckpointListing> items = list_checkpoints(dir());
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].step, 4);
  EXPECT_EQ(items[1].step, 5);
  EXPECT_TRUE(items[0].valid && items[1].valid) << items[0].problem << items[1].problem;
  EXPECT_TRUE(items[1].latest);
  EXPECT_EQ(read_latest(dir()), step_dir(5));
}

TEST_F(CheckpointStoreTest, NoCheckpointMeansAFreshStartUnlessRequired) {
  EXPECT_EQ(resumed_step(), std::nullopt);
  EXPECT_THROW(resumed_step(config(3, "required")), CheckpointError);
}

TEST_F(CheckpointStoreTest, NeverStartsFreshAndMovesOldCheckpointsAside) {
  save_steps({5});
  EXPECT_EQ(resumed_step(config(3, "never")), std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(step_dir(5)));
  EXPECT_TRUE(std::filesystem::exists(dir() / "step-00000005.superseded"));
  EXPECT_EQ(resumed_step(), std::nullopt);
}

TEST_F(CheckpointStoreTest, ExplicitPathResumesThatCheckpointAndSetsNewerOnesAside) {
  save_steps({5, 6, 7});
  EXPECT_EQ(resumed_step(config(3, step_dir(6).string())), 6);
  EXPECT_TRUE(std::filesystem::exists(dir() / "step-00000007.superseded"));
  EXPECT_EQ(resumed_step(), 6);
}

// Damage of every kind the newest checkpoint can suffer; resume must fall
// back to the previous one and say what was wrong.
struct Damage {
  const char* name;
  void (*apply)(const std::filesystem::path& ckpt);
  const char* reason;
};

void PrintTo(const Damage& damage, std::ostream* out) { *out << damage.name; }


void truncate_rank_file(const std::filesystem::path& ckpt) {
  std::filesystem::resize_file(ckpt / "rank-00000.h5", std::filesystem::file_size(ckpt / "rank-00000.h5") / 2);
}
void flip_a_byte(const std::filesystem::path& ckpt) {
  std::fstream f(ckpt / "rank-00000.h5", std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(-100, std::ios::end);
  char c = 0;
  f.get(c);
  f.seekp(-100, std::ios::end);
  f.put(static_cast<char>(c ^ 0x10));
}
void delete_rank_file(const std::filesystem::path& ckpt) { std::filesystem::remove(ckpt / "rank-00000.h5"); }
void delete_manifest(const std::filesystem::path& ckpt) { std::filesystem::remove(ckpt / "manifest.json"); }
void edit_manifest(const std::filesystem::path& ckpt) {
  std::fstream f(ckpt / "manifest.json", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(40);
  f.put('#');
}
void truncate_manifest(const std::filesystem::path& ckpt) {
  std::filesystem::resize_file(ckpt / "manifest.json", 100);
}

class DamagedCheckpointTest : public CheckpointStoreTest, public ::testing::WithParamInterface<Damage> {};

TEST_P(DamagedCheckpointTest, ResumeFallsBackToThePreviousOneAndSetsTheDamagedOneAside) {
  save_steps({10, 20});
  GetParam().apply(step_dir(20));
  std::vector<CheckpointListing> items = list_checkpoints(dir());
  ASSERT_EQ(items.size(), 2U);
  EXPECT_FALSE(items[1].valid);
  EXPECT_THAT(items[1].problem, HasSubstr(GetParam().reason));
  EXPECT_EQ(resumed_step(), 10);
  EXPECT_TRUE(std::filesystem::exists(dir() / "step-00000020.damaged"));
  // The next save and resume go on from the previous checkpoint's timeline.
  save_steps({11});
  EXPECT_EQ(resumed_step(), 11);
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, DamagedCheckpointTest,
    ::testing::Values(Damage{"TruncatedRankFile", truncate_rank_file, "truncated or overwritten"},
                      Damage{"FlippedByte", flip_a_byte, "checksum mismatch"},
                      Damage{"DeletedRankFile", delete_rank_file, "rank-00000.h5 is missing"},
                      Damage{"DeletedManifest", delete_manifest, "manifest.json is missing"},
                      Damage{"EditedManifest", edit_manifest, "manifest.json checksum mismatch"},
                      Damage{"TruncatedManifest", truncate_manifest, "truncated"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(CheckpointStoreTest, AnExplicitDamagedPathIsAnErrorNotAFallback) {
  save_steps({10, 20});
  flip_a_byte(step_dir(20));
  EXPECT_THROW(resumed_step(config(3, step_dir(20).string())), CheckpointError);
}

TEST_F(CheckpointStoreTest, LeftoversOfAnInterruptedWriteAreIgnoredAndRemoved) {
  save_steps({10});
  std::filesystem::create_directories(dir() / "step-00000020.tmp");
  std::filesystem::create_directories(dir() / "step-00000015.deleting");
  EXPECT_EQ(resumed_step(), 10);
  EXPECT_FALSE(std::filesystem::exists(dir() / "step-00000020.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir() / "step-00000015.deleting"));
}

TEST_F(CheckpointStoreTest, AnotherJobKindIsRefused) {
  save_steps({10});
  try {
    resumed_step(config(), identity(kConfig, "other"));
    FAIL() << "expected a refusal";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), HasSubstr("written by job kind 'toy', this run is 'other'"));
  }
}

TEST_F(CheckpointStoreTest, AnIncompatibleConfigIsRefusedListingTheKeys) {
  save_steps({10});
  const std::string changed = "job: toy\nseed: 2\nmodel: {width: 16}\ncheckpoint: {keep: 3}\n";
  try {
    resumed_step(config(), identity(changed));
    FAIL() << "expected a refusal";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), HasSubstr("differs from this run's on model.width, seed"));
    EXPECT_THAT(e.what(), HasSubstr("model.width: 8 in the checkpoint, 16 now"));
  }
  CheckpointConfig allowed = config();
  allowed.allow_changes = {"model", "seed"};
  EXPECT_EQ(resumed_step(allowed, identity(changed)), 10);
}

TEST_F(CheckpointStoreTest, CheckpointAndOutputSettingsAndTheJobsFreeKeysMayChange) {
  save_steps({10});
  const std::string changed =
      "job: toy\nseed: 1\nmodel: {width: 8}\ncheckpoint: {keep: 9}\noutput: {dir: elsewhere}\n"
      "train: {epochs: 5}\n";
  EXPECT_EQ(resumed_step(config(), identity(changed)), 10);
}

TEST_F(CheckpointStoreTest, SavingTheResumedStepAgainIsSkipped) {
  save_steps({10});
  CheckpointStore store(dir(), coordinator_, config(), identity());
  ASSERT_NE(store.resume(), nullptr);
  const auto before = std::filesystem::last_write_time(step_dir(10) / "manifest.json");
  store.save(Toy(10).state(10));
  EXPECT_EQ(std::filesystem::last_write_time(step_dir(10) / "manifest.json"), before);
  EXPECT_EQ(store.last_step(), 10);
}

TEST_F(CheckpointStoreTest, ReadsCheckDtypeShapeAndChecksum) {
  save_steps({10});
  Checkpoint ckpt(step_dir(10), 0, 1);
  std::vector<double> wrong_dtype(64);
  EXPECT_THROW(ckpt.read("model/weights", mutable_array_ref(std::span(wrong_dtype), {8, 8})), CheckpointError);
  std::vector<float> wrong_shape(64);
  EXPECT_THROW(ckpt.read("model/weights", mutable_array_ref(std::span(wrong_shape), {64})), CheckpointError);
  EXPECT_THROW(ckpt.read("model/none", mutable_array_ref(std::span(wrong_shape))), CheckpointError);
  // A region of the replicated array.
  std::vector<float> row(8);
  ckpt.read_region("model/weights", mutable_array_ref(std::span(row), {1, 8}), {3, 0});
  const Toy toy(10);
  EXPECT_EQ(row, std::vector<float>(toy.weights.begin() + 24, toy.weights.begin() + 32));
}

TEST_F(CheckpointStoreTest, LocalArraysAndRngStatesNeedTheSameWorldSize) {
  save_steps({10});
  Checkpoint on_two(step_dir(10), 1, 2);
  EXPECT_FALSE(on_two.same_world_size());
  EXPECT_EQ(on_two.rng_state(), std::nullopt);
  EXPECT_FALSE(on_two.contains("sweep/counts"));
  EXPECT_EQ(on_two.read_vector<float>("model/weights"), Toy(10).weights);  // replicated: any size
  std::vector<std::int64_t> counts(5);
  try {
    on_two.read("sweep/counts", mutable_array_ref(std::span(counts)));
    FAIL() << "expected an error";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), HasSubstr("local to each of the 1 ranks"));
  }
}

TEST_F(CheckpointStoreTest, AsyncWritesTheSameBytesAsSync) {
  testing::TempDir other;
  CheckpointConfig async = config();
  async.async = true;
  {
    CheckpointStore sync_store(dir(), coordinator_, config(), identity());
    CheckpointStore async_store(other.path(), coordinator_, async, identity());
    for (std::int64_t step : {1, 2, 3}) {
      Toy toy(step);
      sync_store.save(toy.state(step));
      async_store.save(toy.state(step));
      toy.weights.assign(toy.weights.size(), -7.0F);  // the job goes on changing its buffers
    }
    async_store.wait();
  }
  for (std::int64_t step : {1, 2, 3}) {
    const std::string name = fmt::format("step-{:08d}", step);
    EXPECT_EQ(testing::read_text(dir() / name / "rank-00000.h5"),
              testing::read_text(other.path() / name / "rank-00000.h5"));
    Manifest a = read_manifest(dir() / name);
    Manifest b = read_manifest(other.path() / name);
    EXPECT_EQ(a.ranks[0].file_checksum, b.ranks[0].file_checksum);
  }
  EXPECT_EQ(Checkpoint(other.path() / "step-00000003", 0, 1).read_vector<float>("model/weights"),
            Toy(3).weights);
}

TEST_F(CheckpointStoreTest, DueFollowsEverySteps) {
  CheckpointConfig c = config();
  c.every_steps = 5;
  CheckpointStore store(dir(), coordinator_, c, identity());
  EXPECT_FALSE(store.due(0));
  EXPECT_FALSE(store.due(4));
  EXPECT_TRUE(store.due(5));
  EXPECT_TRUE(store.due(10));
  CheckpointStore never(tmp_ / "other", coordinator_, config(), identity());
  EXPECT_FALSE(never.due(5));
}

}  // namespace
}  // namespace tessera::runtime
