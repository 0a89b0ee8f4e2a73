// The loader under mpiexec: every rank gets the same number of batches, the
// ranks' samples are disjoint, and a loader restored from a saved state on
// every rank continues exactly (shuffle on, two reader threads per rank).

#include <mpi.h>

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/loader.h"
#include "tests/datasets/testing/shards.h"
#include "tests/testing/temp_dir.h"

namespace tessera::datasets {
namespace {

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int world() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

std::vector<std::int64_t> all_gather(std::int64_t v) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(world()));
  MPI_Allgather(&v, 1, MPI_INT64_T, out.data(), 1, MPI_INT64_T, MPI_COMM_WORLD);
  return out;
}

// Every rank's strings, concatenated.
std::vector<std::string> all_gather(const std::vector<std::string>& mine) {
  std::string joined;
  for (const std::string& s : mine) {
    joined += s + '\n';
  }
  auto lengths = all_gather(static_cast<std::int64_t>(joined.size()));
  std::vector<int> counts;
  std::vector<int> displs;
  int total = 0;
  for (std::int64_t l : lengths) {
    counts.push_back(static_cast<int>(l));
    displs.push_back(total);
    total += static_cast<int>(l);
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  MPI_Allgatherv(joined.data(), static_cast<int>(joined.size()), MPI_CHAR, all.data(), counts.data(), displs.data(),
                 MPI_CHAR, MPI_COMM_WORLD);
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl = all.find('\n'); nl != std::string::npos; nl = all.find('\n', start)) {
    out.push_back(all.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// Shards written once by rank 0 into a directory every rank sees.
class LoaderMpi : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path;
    if (rank() == 0) {
      dir_ = std::make_unique<tessera::testing::TempDir>();
      spec_ = testing::write_numbered_shards(dir_->path(), {120, 80, 200, 150, 90, 60, 170, 110, 130});
    }
    int length = static_cast<int>(spec_.size());
    MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD);
    spec_.resize(static_cast<std::size_t>(length));
    MPI_Bcast(spec_.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD);
    config_.batch_size = 16;
    config_.shuffle = 100;
    config_.workers = 2;
    config_.prefetch = 16;
    config_.outputs = {{"label", {"cls"}}, {"vec", {"npy"}}};
  }
  void TearDown() override { MPI_Barrier(MPI_COMM_WORLD); }

  Place place() const { return {.rank = rank(), .world = world(), .seed = 21}; }

  static std::vector<std::string> keys_of_epoch(Loader& loader, std::int64_t max_batches = INT64_MAX) {
    std::vector<std::string> keys;
    for (std::int64_t i = 0; i < max_batches; ++i) {
      auto b = loader.next();
      if (!b) {
        break;
      }
      for (std::int64_t j = 0; j < b->size(); ++j) {
        EXPECT_EQ(b->tensors.at("label")[j].item<std::int64_t>(),
                  std::stoll(b->keys[static_cast<std::size_t>(j)].substr(1)));
      }
      keys.insert(keys.end(), b->keys.begin(), b->keys.end());
    }
    return keys;
  }

  std::unique_ptr<tessera::testing::TempDir> dir_;
  std::string spec_;
  DataConfig config_;
};

TEST_F(LoaderMpi, EqualBatchesAndDisjointSamplesOnEveryRank) {
  for (Equalize eq : {Equalize::kDrop, Equalize::kPad}) {
    config_.equalize = eq;
    Loader loader(config_, spec_, place());
    for (std::int64_t epoch = 0; epoch < 2; ++epoch) {
      loader.start_epoch(epoch);
      const auto keys = keys_of_epoch(loader);
      const auto batches = static_cast<std::int64_t>(keys.size()) / config_.batch_size;
      EXPECT_EQ(batches, loader.batches_per_epoch());
      for (std::int64_t n : all_gather(batches)) {
        EXPECT_EQ(n, batches) << "epoch " << epoch;
      }
      const auto everyone = all_gather(keys);
      const std::set<std::string> distinct(everyone.begin(), everyone.end());
      if (eq == Equalize::kDrop) {
        EXPECT_EQ(distinct.size(), everyone.size()) << "a sample reached two ranks";
      } else {
        EXPECT_GE(everyone.size(), 1110U - static_cast<std::size_t>(world() * config_.batch_size));
      }
    }
  }
}

TEST_F(LoaderMpi, RestoredLoadersContinueExactlyOnEveryRank) {
  for (std::int64_t cut : {0, 3, 20}) {
    Loader reference(config_, spec_, place(), 5);
    const auto expected = keys_of_epoch(reference);
    Loader first(config_, spec_, place(), 5);
    auto got = keys_of_epoch(first, cut);
    const std::string state = first.save_state();
    Loader second(config_, spec_, place(), 0);
    second.restore_state(state);
    const auto rest = keys_of_epoch(second);
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(got, expected) << "rank " << rank() << ", cut after " << cut << " batches";
    EXPECT_EQ(second.stats().samples, reference.stats().samples);
  }
}

}  // namespace
}  // namespace tessera::datasets
