#pragma once

// LocalCommunicator: one rank of a LocalWorld (ranks as threads of one
// process), for tests and single-process experiments. CPU buffers.
//
// Synchronous collectives run on the caller's thread; asynchronous ones on a
// worker thread per rank, in issue order. Results are bitwise identical on
// every rank and across runs (reductions go in rank order). Unlike MPI it
// sees every rank's arguments, so it always checks that the ranks called the
// same collective with matching counts, with or without comm_debug.

#include <memory>

#include "comm/communicator.h"
#include "comm/local/local_world.h"
#include "comm/op_queue.h"

namespace tessera::comm {

class LocalCommunicator final : public Communicator {
 public:
  // Rank `rank` of `world`. Each rank of the world needs its own.
  LocalCommunicator(std::shared_ptr<LocalWorld> world,
                    int rank,
                    CommConfig config = {},
                    std::shared_ptr<Watchdog> watchdog = nullptr);
  ~LocalCommunicator() override;

  const std::shared_ptr<LocalWorld>& world() const { return world_; }

 protected:
  std::shared_ptr<WorkState> start(Op op) override;
  std::unique_ptr<Communicator> split_impl(const Op& op) override;
  std::vector<std::string> control_all_gather(const std::string& bytes,
                                              WorkState::Clock::time_point deadline) override;

 private:
  void execute(const Op& op, WorkState& state);
  void run_collective(const Op& op, WorkState::Clock::time_point deadline);

  std::shared_ptr<LocalWorld> world_;
  std::atomic<std::int64_t> next_control_{0};
  OpQueue queue_;
};

}  // namespace tessera::comm
