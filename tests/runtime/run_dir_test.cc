#include "runtime/run_dir.h"

#include <gtest/gtest.h>

#include "runtime/error.h"
#include "tests/testing/temp_dir.h"

namespace tessera::runtime {
namespace {

TEST(RunDir, CreatesTheLayoutAndWritesTheConfig) {
  testing::TempDir dir;
  SoloCoordinator coordinator;
  RunDir run = RunDir::create(dir / "runs/x", "job: test\n", coordinator);
  EXPECT_TRUE(std::filesystem::is_directory(run.checkpoints_dir()));
  EXPECT_TRUE(std::filesystem::is_directory(run.logs_dir()));
  EXPECT_EQ(testing::read_text(run.config_file()), "job: test\n");
  EXPECT_EQ(run.log_file(3).filename(), "rank-00003.log");
}

TEST(RunDir, UncreatableDirectoryIsAnIoError) {
  testing::TempDir dir;
  testing::write_text(dir / "file", "x");
  SoloCoordinator coordinator;
  EXPECT_THROW(RunDir::create(dir / "file/run", "", coordinator), IoError);
}

TEST(WriteFileAtomically, ReplacesContentWithoutLeavingTemporaries) {
  testing::TempDir dir;
  write_file_atomically(dir / "LATEST", "step-1\n");
  write_file_atomically(dir / "LATEST", "step-2\n");
  EXPECT_EQ(testing::read_text(dir / "LATEST"), "step-2\n");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

}  // namespace
}  // namespace tessera::runtime
