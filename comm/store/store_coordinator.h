#pragma once

// StoreCoordinator: the runtime's control-plane Coordinator over a Store, for
// launches MPI cannot wire (torchrun-style RANK/WORLD_SIZE/MASTER_ADDR, srun
// without --mpi=pmix). Rank 0 serves the TCP store on
// MASTER_ADDR:MASTER_PORT (runtime::LaunchInfo); every rank is a client.
//
// Each operation writes this rank's part under a key numbered by the
// operation's sequence number and waits for the others' (bounded by the
// timeout: TimeoutError naming the op). A rank deletes its keys two
// operations later, when every rank is known to have read them, so the store
// does not grow.

#include <chrono>
#include <memory>

#include "comm/store/store.h"
#include "comm/store/tcp_store_server.h"
#include "runtime/coordinator.h"
#include "runtime/launch_info.h"

namespace tessera::comm {

class StoreCoordinator final : public runtime::Coordinator {
 public:
  // Uses `store` (which must outlive it); `server` is rank 0's, kept alive
  // until this coordinator goes.
  StoreCoordinator(std::unique_ptr<Store> store,
                   std::unique_ptr<TcpStoreServer> server,
                   int rank,
                   int size,
                   std::chrono::milliseconds timeout = std::chrono::minutes(10));
  ~StoreCoordinator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void barrier() override;
  std::vector<std::string> all_gather(const std::string& bytes) override;
  std::string broadcast(const std::string& bytes, int root) override;
  std::int64_t all_reduce_max(std::int64_t value) override;

  Store& store() { return *store_; }

 private:
  std::string key(std::int64_t seq, int rank) const;
  void forget(std::int64_t seq);  // deletes this rank's keys of operation `seq`

  std::unique_ptr<TcpStoreServer> server_;
  std::unique_ptr<Store> store_;
  int rank_;
  int size_;
  std::chrono::milliseconds timeout_;
  std::int64_t seq_ = 0;
};

// Rank 0 starts the server on launch.master_port (every interface); every
// rank connects to launch.master_addr:master_port, retrying until
// `connect_timeout`. Collective over the launch's processes.
std::unique_ptr<StoreCoordinator> make_store_coordinator(
    const runtime::LaunchInfo& launch,
    std::chrono::milliseconds timeout = std::chrono::minutes(10),
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(60));

}  // namespace tessera::comm
