// The TCP store with real sockets on loopback: semantics in one process,
// then separate processes for a client that starts before its server, a
// server that goes away mid-wait, and the StoreCoordinator across 3 ranks.

#include "comm/store/tcp_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <future>
#include <thread>

#include "comm/store/tcp_store_server.h"
#include "runtime/error.h"
#include "tests/testing/subprocess.h"

namespace tessera::comm {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A port nobody listens on right now.
int free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

TEST(TcpStore, SetGetAddCompareSetRemove) {
  TcpStoreServer server("127.0.0.1", 0);
  TcpStore store("127.0.0.1", server.port());
  store.set("a", "alpha");
  EXPECT_EQ(store.get("a", 1s), "alpha");
  store.set("a", std::string("bytes\0with nul", 14));
  EXPECT_EQ(store.get("a", 1s), std::string("bytes\0with nul", 14));
  EXPECT_EQ(store.add("n", 5), 5);
  EXPECT_EQ(store.add("n", -2), 3);
  EXPECT_EQ(store.compare_set("c", "", "first"), "first");     // absent matches ""
  EXPECT_EQ(store.compare_set("c", "other", "second"), "first");  // no match: unchanged
  EXPECT_EQ(store.compare_set("c", "first", "second"), "second");
  EXPECT_TRUE(store.remove("c"));
  EXPECT_FALSE(store.remove("c"));
}

TEST(TcpStore, GetAndWaitBlockUntilAnotherClientSetsTheKey) {
  TcpStoreServer server("127.0.0.1", 0);
  TcpStore waiter("127.0.0.1", server.port());
  TcpStore setter("127.0.0.1", server.port());
  auto got = std::async(std::launch::async, [&] { return waiter.get("late", 10s); });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(got.wait_for(0s), std::future_status::timeout) << "get must wait for the key";
  setter.set("late", "here");
  EXPECT_EQ(got.get(), "here");
  auto waited = std::async(std::launch::async, [&] { waiter.wait({"x", "y"}, 10s); });
  setter.set("x", "1");
  setter.add("y", 1);
  waited.get();
}

TEST(TcpStore, AWaitThatTimesOutIsATimeoutErrorAndTheClientStaysUsable) {
  TcpStoreServer server("127.0.0.1", 0);
  TcpStore store("127.0.0.1", server.port(), {.rank = 3});
  try {
    (void)store.get("never", 200ms);
    ADD_FAILURE() << "nobody sets 'never'";
  } catch (const TimeoutError& e) {
    EXPECT_THAT(e.what(), HasSubstr("store get"));
    EXPECT_THAT(e.what(), HasSubstr("rank 3"));
  }
  store.set("k", "v");
  EXPECT_EQ(store.get("k", 1s), "v");
}

TEST(TcpStore, NoServerIsAnIoErrorNamingTheAddressAfterRetrying) {
  const int port = free_port();
  try {
    TcpStore store("127.0.0.1", port, {.connect_timeout = 500ms, .rank = 1});
    ADD_FAILURE() << "nothing listens there";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("rank 1: could not connect to the store at "
                                                "127.0.0.1:{} within 0.5 s",
                                                port)));
    EXPECT_THAT(e.what(), HasSubstr("MASTER_ADDR/MASTER_PORT"));
  }
}

TEST(TcpStore, AClientProcessStartedBeforeTheServerConnectsOnceItIsUp) {
  const int port = free_port();
  auto client = std::async(std::launch::async, [&] {
    return testing::run_command({STORE_HELPER, "get", "127.0.0.1", std::to_string(port), "hello"},
                                60s);
  });
  std::this_thread::sleep_for(700ms);  // the client is retrying meanwhile
  TcpStoreServer server("127.0.0.1", port);
  TcpStore store("127.0.0.1", port);
  store.set("hello", "world");
  auto r = client.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("got world"));
}

TEST(TcpStore, AServerThatGoesAwayEndsAWaitingGetWithAClearErrorNotAHang) {
  const int port = free_port();
  auto server = std::async(std::launch::async, [&] {
    return testing::run_command({STORE_HELPER, "serve", std::to_string(port), "1.0"}, 60s);
  });
  TcpStore store("127.0.0.1", port, {.connect_timeout = 20s, .rank = 2});
  try {
    (void)store.get("never", 60s);
    ADD_FAILURE() << "the server exits after 1 s";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("store 127.0.0.1:{}", port)));
    EXPECT_THAT(e.what(), HasSubstr("did rank 0 exit?"));
  }
  EXPECT_THROW(store.set("k", "v"), IoError) << "the client is unusable afterwards";
  EXPECT_EQ(server.get().exit_code, 0);
}

TEST(StoreCoordinator, ThreeProcessesAgreeWithoutMpi) {
  const int port = free_port();
  std::vector<std::future<testing::CommandResult>> ranks;
  for (int r = 2; r >= 0; --r) {  // rank 0 (the server) last: clients retry meanwhile
    ranks.push_back(std::async(std::launch::async, [r, port] {
      return testing::run_command({STORE_HELPER, "coordinate", std::to_string(r), "3",
                                   std::to_string(port)},
                                  60s);
    }));
    std::this_thread::sleep_for(100ms);
  }
  for (int i = 0; i < 3; ++i) {
    auto r = ranks[static_cast<std::size_t>(i)].get();
    const int rank = 2 - i;
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr(fmt::format("rank {}: gathered r40,r41,r42; broadcast 'from "
                                                "1'; max 18",
                                                rank)));
  }
}

TEST(StoreCoordinator, SessionConnectsTorchrunStyleProcessesWithoutMpi) {
  const int port = free_port();
  std::vector<std::future<testing::CommandResult>> ranks;
  for (int r = 0; r < 2; ++r) {
    ranks.push_back(std::async(std::launch::async, [r, port] {
      return testing::run_command({STORE_HELPER, "session"}, 60s, "",
                                  {"RANK=" + std::to_string(r), "LOCAL_RANK=" + std::to_string(r),
                                   "WORLD_SIZE=2", "LOCAL_WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1",
                                   "MASTER_PORT=" + std::to_string(port)});
    }));
  }
  for (int r = 0; r < 2; ++r) {
    auto result = ranks[static_cast<std::size_t>(r)].get();
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_THAT(result.output, HasSubstr(fmt::format("session rank {} of 2 via torchrun-env: 0,11", r)));
  }
}

}  // namespace
}  // namespace tessera::comm
