#include "comm/local/local_communicator.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "comm/reduce_kernels.h"

namespace tessera::comm {
namespace {

// A receive withdrawn from the world's mailbox when it times out.
class LocalRecvState final : public WorkState {
 public:
  LocalRecvState(CommSite site, Fingerprint what, Timeout timeout,
                 std::shared_ptr<CommHealth> health, std::shared_ptr<LocalWorld> world, int rank)
      : WorkState(std::move(site), what, timeout, std::move(health)),
        world_(std::move(world)),
        rank_(rank) {}

 protected:
  bool withdraw() noexcept override { return world_->cancel_recv(rank_, this); }

 private:
  std::shared_ptr<LocalWorld> world_;
  int rank_;
};

// Reduces block [offset, offset + count) of every rank's send buffer, in rank
// order, into `out`.
void reduce_blocks(const std::vector<const Op*>& all, const Op& mine, std::size_t offset,
                   std::size_t count, void* out) {
  const std::size_t bytes = count * dtype_size(mine.send.dtype);
  if (bytes > 0) {
    std::memcpy(out, all[0]->send.slice(offset, count).data, bytes);
  }
  for (std::size_t r = 1; r < all.size(); ++r) {
    reduce_into(mine.send.dtype, mine.reduce, out, all[r]->send.slice(offset, count).data, count);
  }
  if (mine.reduce == ReduceOp::kAvg) {
    divide_by(mine.send.dtype, out, count, static_cast<int>(all.size()));
  }
}

}  // namespace

LocalCommunicator::LocalCommunicator(std::shared_ptr<LocalWorld> world, int rank, CommConfig config,
                                     std::shared_ptr<Watchdog> watchdog)
    : Communicator(rank, world->size(), "local", Device::cpu(), std::move(config),
                   std::move(watchdog)),
      world_(std::move(world)) {
  if (rank < 0 || rank >= world_->size()) {
    throw InternalError(fmt::format("LocalCommunicator: rank {} outside a world of {}", rank,
                                    world_->size()));
  }
  // A timeout (or any failure) on one rank fails the whole world at once,
  // as a dead process does under a launcher.
  health()->set_abort_hook(
      [world = std::weak_ptr<LocalWorld>(world_)](const std::string& reason) {
        if (auto w = world.lock()) {
          w->abort(reason);
        }
      });
}

LocalCommunicator::~LocalCommunicator() {
  if (!health()->ok()) {
    queue_.abandon(std::make_exception_ptr(InternalError(
        fmt::format("{}: communicator destroyed with this operation still queued", describe()))));
  }
  queue_.shutdown();
}

std::shared_ptr<WorkState> LocalCommunicator::start(Op op) {
  if (op.kind == OpKind::kSend) {
    std::shared_ptr<WorkState> state = new_state(op);
    world_->send(rank(), op.peer, op.tag, op.send);
    state->complete();
    return state;
  }
  if (op.kind == OpKind::kRecv) {
    auto state = new_state<LocalRecvState>(op, world_, rank());
    world_->post_recv(rank(), {op.peer, op.tag, op.recv, state});
    return state;
  }
  std::shared_ptr<WorkState> state = new_state(op);
  const bool inline_ok = !op.async;
  queue_.submit({[this, op = std::move(op), state] { execute(op, *state); }, state}, inline_ok);
  return state;
}

void LocalCommunicator::execute(const Op& op, WorkState& state) {
  try {
    check_agreement(op);
    run_collective(op, state.deadline());
    state.complete();
  } catch (const DeadlinePassed&) {
    // Left pending: the waiter or the watchdog expires it, which poisons the
    // communicator and so aborts the world (see the constructor).
  } catch (const std::exception& e) {
    // The ranks no longer agree on where they are: nothing later can work.
    health()->poison(e.what());
    state.fail(std::current_exception());
  }
}

void LocalCommunicator::run_collective(const Op& op, WorkState::Clock::time_point deadline) {
  const CommSite where = site(op);
  std::shared_ptr<LocalWorld::Slot> slot = world_->arrive(op.seq, rank(), op, deadline, where);
  const std::vector<const Op*>& all = slot->ops;

  // Every rank sees every rank's arguments: check that they match.
  std::vector<Fingerprint> by_rank;
  by_rank.reserve(all.size());
  for (const Op* o : all) {
    by_rank.push_back(o->fingerprint());
  }
  if (std::optional<std::string> disagreement = describe_disagreement(by_rank)) {
    world_->depart(op.seq, *slot, deadline, where);
    throw error(op, fmt::format("ranks called different collectives: {}", *disagreement));
  }

  const auto r = static_cast<std::size_t>(rank());
  const std::size_t esize = dtype_size(op.send.dtype);
  // In-place reductions and all_to_all compute into scratch, copied out once
  // every rank has read its inputs (the inputs are the outputs).
  std::vector<std::byte> scratch;
  void* out = op.recv.data;
  if (op.in_place && (op.kind == OpKind::kAllReduce || op.kind == OpKind::kReduce ||
                      op.kind == OpKind::kReduceScatter || op.kind == OpKind::kAllToAll)) {
    scratch.resize(op.recv.bytes());
    out = scratch.data();
  }
  switch (op.kind) {
    case OpKind::kAllReduce:
      reduce_blocks(all, op, 0, op.send.count, out);
      break;
    case OpKind::kReduce:
      if (rank() == op.root) {
        reduce_blocks(all, op, 0, op.send.count, out);
      }
      break;
    case OpKind::kBroadcast:
      if (rank() != op.root && op.recv.bytes() > 0) {
        std::memcpy(op.recv.data, all[static_cast<std::size_t>(op.root)]->send.data, op.recv.bytes());
      }
      break;
    case OpKind::kAllGather:
    case OpKind::kAllGatherv: {
      std::vector<std::size_t> counts =
          op.kind == OpKind::kAllGatherv ? op.recv_counts
                                         : std::vector<std::size_t>(all.size(), op.send.count);
      const std::vector<std::size_t> offsets = exclusive_prefix_sum(counts);
      for (std::size_t j = 0; j < all.size(); ++j) {
        if (all[j]->send.count != counts[j]) {
          world_->depart(op.seq, *slot, deadline, where);
          throw error(op, fmt::format("rank {} sends {} elements, this rank expects {}", j,
                                      all[j]->send.count, counts[j]));
        }
        if ((j != r || !op.in_place) && counts[j] > 0) {
          std::memcpy(op.recv.slice(offsets[j], 0).data, all[j]->send.data, counts[j] * esize);
        }
      }
      break;
    }
    case OpKind::kReduceScatter:
      reduce_blocks(all, op, r * op.recv.count, op.recv.count, out);
      break;
    case OpKind::kAllToAll: {
      const std::size_t block = op.send.count / all.size();
      for (std::size_t j = 0; j < all.size(); ++j) {
        if (block > 0) {
          std::memcpy(static_cast<std::byte*>(out) + j * block * esize,
                      all[j]->send.slice(r * block, 0).data, block * esize);
        }
      }
      break;
    }
    case OpKind::kAllToAllv: {
      const std::vector<std::size_t> recv_offsets = exclusive_prefix_sum(op.recv_counts);
      for (std::size_t j = 0; j < all.size(); ++j) {
        const Op& theirs = *all[j];
        if (theirs.send_counts[r] != op.recv_counts[j]) {
          world_->depart(op.seq, *slot, deadline, where);
          throw error(op, fmt::format("rank {} sends {} elements to rank {}, which expects {}", j,
                                      theirs.send_counts[r], r, op.recv_counts[j]));
        }
        if (op.recv_counts[j] > 0) {
          const std::size_t from = exclusive_prefix_sum(theirs.send_counts)[r];
          std::memcpy(op.recv.slice(recv_offsets[j], 0).data, theirs.send.slice(from, 0).data,
                      op.recv_counts[j] * esize);
        }
      }
      break;
    }
    case OpKind::kBarrier:
      break;
    case OpKind::kSplit:
    case OpKind::kSend:
    case OpKind::kRecv:
      throw InternalError(fmt::format("local: {} is not a data collective", op_name(op.kind)));
  }
  world_->depart(op.seq, *slot, deadline, where);
  if (!scratch.empty()) {
    std::memcpy(op.recv.data, scratch.data(), scratch.size());
  }
}

std::unique_ptr<Communicator> LocalCommunicator::split_impl(const Op& op) {
  std::shared_ptr<WorkState> state = new_state(op);
  auto child = std::make_shared<std::unique_ptr<Communicator>>();
  queue_.submit(
      {[this, op, state, child] {
         try {
           check_agreement(op);
           // Everyone's (color, key), then the members of this rank's color by (key, rank).
           const std::int64_t mine[2] = {op.color, op.key};
           std::vector<std::string> all = control_all_gather(
               std::string(reinterpret_cast<const char*>(mine), sizeof mine), state->deadline());
           if (op.color != kNoColor) {
             std::vector<std::pair<std::int64_t, int>> members;
             for (std::size_t r = 0; r < all.size(); ++r) {
               std::int64_t theirs[2];
               std::memcpy(theirs, all[r].data(), sizeof theirs);
               if (theirs[0] == op.color) {
                 members.emplace_back(theirs[1], static_cast<int>(r));
               }
             }
             std::sort(members.begin(), members.end());
             const auto me = std::find(members.begin(), members.end(),
                                       std::pair<std::int64_t, int>(op.key, rank()));
             auto world = world_->child(op.seq, op.color, static_cast<int>(members.size()));
             *child = std::make_unique<LocalCommunicator>(
                 world, static_cast<int>(me - members.begin()), config(), watchdog());
           }
           state->complete();
         } catch (const DeadlinePassed&) {
           // Left pending for the waiter (see execute()).
         } catch (...) {
           state->fail(std::current_exception());
         }
       },
       state},
      true);
  Work(state).wait();
  return std::move(*child);
}

std::vector<std::string> LocalCommunicator::control_all_gather(
    const std::string& bytes, WorkState::Clock::time_point deadline) {
  const CommSite where{.backend = "local", .op = "control exchange", .rank = rank(),
                       .size = size()};
  return world_->exchange(next_control_.fetch_add(1), rank(), bytes, deadline, where);
}

}  // namespace tessera::comm
