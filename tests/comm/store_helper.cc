// Store processes for tcp_store_test (real processes on loopback):
//
//   store_helper serve PORT SECONDS           serve, then exit (the server goes away)
//   store_helper get HOST PORT KEY            connect (retrying), print get(KEY)
//   store_helper coordinate RANK SIZE PORT    a StoreCoordinator rank: prints what
//                                             all_gather / broadcast / max returned
//   store_helper session                      runtime::Session from torchrun-style
//                                             RANK/WORLD_SIZE/MASTER_* variables

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "comm/store/store_coordinator.h"
#include "comm/store/tcp_store.h"
#include "comm/store/tcp_store_server.h"
#include "runtime/session.h"

int main(int argc, char** argv) {
  using namespace tessera::comm;
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "serve" && argc == 4) {
      TcpStoreServer server("127.0.0.1", std::stoi(argv[2]));
      server.set_linger(std::chrono::milliseconds(0));
      std::printf("serving on %d\n", server.port());
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::duration<double>(std::stod(argv[3])));
      return 0;
    }
    if (mode == "get" && argc == 5) {
      TcpStore store(argv[2], std::stoi(argv[3]), {.connect_timeout = std::chrono::seconds(30)});
      std::printf("got %s\n", store.get(argv[4], std::chrono::seconds(30)).c_str());
      return 0;
    }
    if (mode == "coordinate" && argc == 5) {
      tessera::runtime::LaunchInfo launch;
      launch.rank = std::stoi(argv[2]);
      launch.size = std::stoi(argv[3]);
      launch.master_addr = "127.0.0.1";
      launch.master_port = std::stoi(argv[4]);
      auto coordinator = make_store_coordinator(launch, std::chrono::seconds(30));
      for (int round = 0; round < 5; ++round) {  // enough rounds to exercise key cleanup
        auto all = coordinator->all_gather(fmt::format("r{}", launch.rank + 10 * round));
        coordinator->barrier();
        std::string root = coordinator->broadcast(fmt::format("from {}", launch.rank), 1);
        std::int64_t max = coordinator->all_reduce_max(launch.rank * 7 + round);
        if (round == 4) {
          std::printf("rank %d: gathered %s,%s,%s; broadcast '%s'; max %lld\n", launch.rank,
                      all[0].c_str(), all[1].c_str(), all[2].c_str(), root.c_str(),
                      static_cast<long long>(max));
        }
      }
      coordinator->barrier();
      return 0;
    }
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
  if (mode == "session") {
    try {
      auto session = tessera::runtime::Session::start(
          &argc, &argv, "warn", [](const tessera::runtime::LaunchInfo& launch) {
            return make_store_coordinator(launch, std::chrono::seconds(30));
          });
      auto& coordinator = session->coordinator();
      auto all = coordinator.all_gather(std::to_string(coordinator.rank() * 11));
      std::printf("session rank %d of %d via %s: %s,%s\n", coordinator.rank(), coordinator.size(),
                  std::string(launcher_name(session->launch().launcher)).c_str(), all[0].c_str(),
                  all[1].c_str());
      coordinator.barrier();
      return 0;
    } catch (const std::exception& e) {
      std::printf("error: %s\n", e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "usage: see the file comment\n");
  return 2;
}
