#include "comm/store/store_coordinator.h"

#include <charconv>

#include <fmt/format.h>

#include "comm/store/tcp_store.h"
#include "runtime/error.h"

namespace tessera::comm {

StoreCoordinator::StoreCoordinator(std::unique_ptr<Store> store,
                                   std::unique_ptr<TcpStoreServer> server, int rank, int size,
                                   std::chrono::milliseconds timeout)
    : server_(std::move(server)),
      store_(std::move(store)),
      rank_(rank),
      size_(size),
      timeout_(timeout) {}

StoreCoordinator::~StoreCoordinator() {
  store_.reset();  // the client hangs up before rank 0's server stops
  server_.reset();
}

std::string StoreCoordinator::key(std::int64_t seq, int rank) const {
  return fmt::format("tessera/coordinator/{}/{}", seq, rank);
}

void StoreCoordinator::forget(std::int64_t seq) {
  if (seq >= 0) {
    store_->remove(key(seq, rank_));
  }
}

std::vector<std::string> StoreCoordinator::all_gather(const std::string& bytes) {
  const std::int64_t seq = seq_++;
  forget(seq - 2);  // every rank is past operation seq - 1, so done reading seq - 2
  store_->set(key(seq, rank_), bytes);
  std::vector<std::string> all(static_cast<std::size_t>(size_));
  for (int r = 0; r < size_; ++r) {
    try {
      all[static_cast<std::size_t>(r)] = r == rank_ ? bytes : store_->get(key(seq, r), timeout_);
    } catch (const TimeoutError&) {
      throw TimeoutError(
          CommSite{.backend = "store", .op = "coordinator", .rank = rank_, .size = size_,
                   .seq = seq, .peer = r},
          fmt::format("rank {} did not reach coordinator operation #{} within {} s", r, seq,
                      timeout_.count() / 1000.0));
    }
  }
  return all;
}

void StoreCoordinator::barrier() { (void)all_gather(""); }

std::string StoreCoordinator::broadcast(const std::string& bytes, int root) {
  // The root's part is all that matters; the others send nothing.
  return all_gather(rank_ == root ? bytes : std::string())[static_cast<std::size_t>(root)];
}

std::int64_t StoreCoordinator::all_reduce_max(std::int64_t value) {
  std::int64_t best = value;
  for (const std::string& s : all_gather(std::to_string(value))) {
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    best = std::max(best, v);
  }
  return best;
}

std::unique_ptr<StoreCoordinator> make_store_coordinator(const runtime::LaunchInfo& launch,
                                                         std::chrono::milliseconds timeout,
                                                         std::chrono::milliseconds connect_timeout) {
  std::unique_ptr<TcpStoreServer> server;
  if (launch.rank == 0) {
    server = std::make_unique<TcpStoreServer>("0.0.0.0", launch.master_port);
  }
  auto store = std::make_unique<TcpStore>(
      launch.master_addr, launch.master_port,
      TcpStoreOptions{.connect_timeout = connect_timeout, .rank = launch.rank});
  return std::make_unique<StoreCoordinator>(std::move(store), std::move(server), launch.rank,
                                            launch.size, timeout);
}

}  // namespace tessera::comm
