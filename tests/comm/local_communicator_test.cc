// The conformance suite on the local backend (ranks as threads, worlds of
// 1 to 4 ranks), and what only an in-process world can show.

#include "comm/local/local_communicator.h"

#include "tests/comm/communicator_conformance.h"

namespace tessera::comm::testing {

struct LocalHarness {
  static std::vector<int> world_sizes() { return {1, 2, 3, 4}; }
  static void run(int size, const std::function<void(Communicator&)>& body,
                  const CommConfig& config) {
    run_local_ranks(size, body, config);
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Local, CommunicatorConformance, LocalHarness);

TEST(LocalCommunicator, ARankThatFailsMakesTheOthersFailInsteadOfWaiting) {
  try {
    run_local_ranks(3, [](Communicator& comm) {
      if (comm.rank() == 2) {
        throw Error("rank 2 gave up");
      }
      std::vector<float> data(4, 1.0F);
      comm.all_reduce(as_buffer(data)).wait();  // rank 2 never comes
    });
    ADD_FAILURE() << "the failure must reach the caller";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "rank 2 gave up");
  }
}

TEST(LocalCommunicator, MismatchedCollectivesFailOnEveryRankEvenWithoutDebug) {
  std::atomic<int> failures{0};
  run_local_ranks(2, [&](Communicator& comm) {
    std::vector<float> data(8, 1.0F);
    try {
      if (comm.rank() == 0) {
        comm.all_reduce(as_buffer(data)).wait();
      } else {
        comm.all_reduce(as_buffer(data).slice(0, 4)).wait();
      }
    } catch (const CommError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("rank 0 called all_reduce(f32 x 8, sum) #0"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr("rank 1 called all_reduce(f32 x 4, sum) #0"));
      ++failures;
    }
  });
  EXPECT_EQ(failures.load(), 2);
}

TEST(LocalCommunicator, WatchdogReportsAnAsyncOpNobodyWaitsFor) {
  std::atomic<int> calls{0};
  std::string message;
  std::mutex mu;
  CommConfig config;
  config.watchdog_grace = std::chrono::milliseconds(100);
  config.on_timeout = [&](const TimeoutError& e) {
    std::lock_guard lock(mu);
    message = e.what();
    ++calls;
  };
  auto world = std::make_shared<LocalWorld>(2);
  auto watchdog = std::make_shared<Watchdog>(config.on_timeout, config.watchdog_grace);
  LocalCommunicator rank0(world, 0, config, watchdog);
  std::vector<double> data(3);
  {
    Work forgotten =
        rank0.broadcast(as_buffer(data), {.timeout = std::chrono::milliseconds(200), .async = true});
    // Rank 1 never joins and nobody waits: the watchdog must notice.
    for (int i = 0; i < 100 && calls.load() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  EXPECT_EQ(calls.load(), 1);
  std::lock_guard lock(mu);
  EXPECT_THAT(message, ::testing::HasSubstr("local broadcast #0 on rank 0/2"));
  EXPECT_THAT(message, ::testing::HasSubstr("broadcast(f64 x 3, root 0) did not complete within"));
}

TEST(LocalCommunicator, AReceiveThatTimesOutIsWithdrawnAndTheCommunicatorStaysUsable) {
  run_local_ranks(2, [](Communicator& comm) {
    std::int32_t value = 0;
    if (comm.rank() == 0) {
      EXPECT_THROW(comm.recv(as_buffer(value), 1, {.timeout = std::chrono::milliseconds(100)}).wait(),
                   TimeoutError);
    }
    comm.barrier().wait();
    if (comm.rank() == 1) {
      value = 42;
      comm.send(as_buffer(value), 0).wait();
    } else {
      comm.recv(as_buffer(value), 1).wait();
      EXPECT_EQ(value, 42);
    }
  });
}

TEST(LocalCommunicator, ReductionsAreIdenticalOnEveryRankAndInRankOrder) {
  // 0.1 + 0.2 + 0.3 in rank order differs from other orders in float.
  std::vector<std::vector<float>> results(3);
  run_local_ranks(3, [&](Communicator& comm) {
    const float mine[] = {0.1F, 0.2F, 0.3F};
    std::vector<float> v(1000, mine[comm.rank()]);
    comm.all_reduce(as_buffer(v)).wait();
    results[static_cast<std::size_t>(comm.rank())] = v;
  });
  const float expected = (0.1F + 0.2F) + 0.3F;
  for (const auto& v : results) {
    EXPECT_EQ(v, std::vector<float>(1000, expected));
  }
}

}  // namespace tessera::comm::testing
