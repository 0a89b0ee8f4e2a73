#include "runtime/stop_signal.h"

#include <gtest/gtest.h>

#include <csignal>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

TEST(StopSignal, NoSignalMeansNoStop) {
  SoloCoordinator c;
  StopSignal stop(c, {});
  for (std::int64_t step = 1; step <= 5; ++step) {
    EXPECT_FALSE(stop.should_stop(step));
  }
  EXPECT_FALSE(stop.stopping());
  EXPECT_EQ(stop.stop_step(), -1);
}

TEST(StopSignal, EachStopSignalIsSeenAtTheNextCheckedStep) {
  for (int signal : {SIGTERM, SIGUSR1, SIGINT}) {
    SoloCoordinator c;
    StopSignal stop(c, {.check_every = 3});
    EXPECT_FALSE(stop.should_stop(3));
    std::raise(signal);  // the process survives: the handler only sets a flag
    EXPECT_EQ(stop.received_signal(), signal);
    EXPECT_FALSE(stop.should_stop(4));  // not a checked step
    EXPECT_FALSE(stop.should_stop(5));
    EXPECT_TRUE(stop.should_stop(6));
    EXPECT_TRUE(stop.should_stop(7));  // stays stopped
    EXPECT_EQ(stop.reason(), StopReason::kSignal);
    EXPECT_EQ(stop.stop_step(), 6);
    EXPECT_EQ(stop.describe(), signal_name(signal) + " received");
  }
}

TEST(StopSignal, APassedDeadlineStopsForTheTimeLimit) {
  SoloCoordinator c;
  StopSignal stop(c, {.check_every = 1, .deadline = std::chrono::system_clock::now() - std::chrono::seconds(1)});
  EXPECT_TRUE(stop.should_stop(1));
  EXPECT_EQ(stop.reason(), StopReason::kTimeLimit);
  EXPECT_NE(stop.describe().find("time limit"), std::string::npos);
}

TEST(StopSignal, OnlyOneInstancePerProcess) {
  SoloCoordinator c;
  StopSignal first(c, {});
  EXPECT_THROW(StopSignal(c, {}), InternalError);
}

TEST(StopSignalDeathTest, ASecondInterruptAbortsAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        SoloCoordinator c;
        StopSignal stop(c, {});
        std::raise(SIGINT);
        std::raise(SIGINT);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(128 + SIGINT), "second SIGINT, aborting now");
}

}  // namespace
}  // namespace tessera::runtime
