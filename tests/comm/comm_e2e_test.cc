// comm as a user meets it: real processes under mpirun. A stuck collective
// ends the job with an error that names it, a dead rank does not leave the
// others waiting, and `tessera bench comm` prints checked nccl-tests columns.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "tests/testing/subprocess.h"

namespace tessera::comm {
namespace {

using ::testing::HasSubstr;
using testing::mpirun;
using testing::run_command;

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

TEST(CommE2e, AStuckCollectiveEndsTheJobNamingTheOpSequenceAndRank) {
  auto r = run_command(with(mpirun(2), {COMM_HANG_HELPER, "skip"}), std::chrono::seconds(90));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("mpi all_reduce #1 on rank 0/2"));
  EXPECT_THAT(r.output, HasSubstr("all_reduce(f32 x 1000, sum) did not complete within 1 s"));
  EXPECT_THAT(r.output, HasSubstr("ending the job"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("returned, which it must not")));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("killed after timeout")));
}

TEST(CommE2e, ARankThatDiesEndsTheJobInsteadOfLeavingOthersWaiting) {
  auto r = run_command(with(mpirun(2), {COMM_HANG_HELPER, "die"}), std::chrono::seconds(90));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("killed after timeout"))) << r.output;
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("returned, which it must not")));
}

TEST(CommE2e, BenchCommPrintsCheckedNcclTestsColumnsBesideRawMpi) {
  auto r = run_command(with(mpirun(2), {TESSERA_BIN, "bench", "comm", "--max-bytes", "4K",
                                        "--rounds", "1", "--seconds-per-round", "0.001"}),
                       std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("time(us)"));
  EXPECT_THAT(r.output, HasSubstr("busbw"));
  EXPECT_THAT(r.output, HasSubstr("raw MPI"));
  // Every data row: both #wrong columns are 0; 5 ops x 10 sizes.
  std::istringstream lines(r.output);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
    if (f.size() == 16 && f[0] != "#") {
      ++rows;
      EXPECT_EQ(f[9], "0") << line;
      EXPECT_EQ(f[13], "0") << line;
    }
  }
  EXPECT_EQ(rows, 50) << r.output;
}

}  // namespace
}  // namespace tessera::comm
