#include "runtime/slurm_job.h"

#include <gtest/gtest.h>

namespace tessera::runtime {
namespace {

using std::chrono::seconds;

TEST(SlurmTimeLeft, ParsesEverySqueueFormat) {
  EXPECT_EQ(parse_slurm_time_left("45"), seconds(45));
  EXPECT_EQ(parse_slurm_time_left("3:04"), seconds(184));
  EXPECT_EQ(parse_slurm_time_left("02:03:04\n"), seconds(7384));
  EXPECT_EQ(parse_slurm_time_left("1-02:03:04"), seconds(86400 + 7384));
  EXPECT_EQ(parse_slurm_time_left("2-03"), seconds(2 * 86400 + 3 * 3600));
  EXPECT_EQ(parse_slurm_time_left("1-00:30"), seconds(86400 + 1800));
}

TEST(SlurmTimeLeft, UnknownValuesAreNotTimes) {
  EXPECT_EQ(parse_slurm_time_left("UNLIMITED"), std::nullopt);
  EXPECT_EQ(parse_slurm_time_left("NOT_SET"), std::nullopt);
  EXPECT_EQ(parse_slurm_time_left("INVALID"), std::nullopt);
  EXPECT_EQ(parse_slurm_time_left(""), std::nullopt);
  EXPECT_EQ(parse_slurm_time_left("1:2:3:4"), std::nullopt);
}

TEST(SlurmJob, RefusesJobIdsThatAreNotIds) {
  EXPECT_EQ(requeue_slurm_job("1; rm -rf /").exit_code, -1);
  EXPECT_EQ(query_slurm_time_left("$(id)"), std::nullopt);
}

}  // namespace
}  // namespace tessera::runtime
