#include "comm/local/local_world.h"

#include <atomic>
#include <cstring>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "comm/local/local_communicator.h"

namespace tessera::comm {
namespace {

constexpr int kDataChannel = 0;
constexpr int kControlChannel = 1;

bool matches(const LocalWorld::PostedRecv& recv, int source, int tag) {
  return (recv.source == kAnySource || recv.source == source) &&
         (recv.tag == kAnyTag || recv.tag == tag);
}

}  // namespace

LocalWorld::LocalWorld(int size) : size_(size), mailboxes_(static_cast<std::size_t>(size)) {
  if (size < 1) {
    throw InternalError(fmt::format("LocalWorld: size {} must be >= 1", size));
  }
}

void LocalWorld::throw_if_aborted(const CommSite& site) const {
  if (!abort_reason_.empty()) {
    throw CommError(site, fmt::format("the local world was aborted: {}", abort_reason_));
  }
}

template <class Pred>
void LocalWorld::wait(std::unique_lock<std::mutex>& lock, Clock::time_point deadline,
                      const CommSite& site, Pred done) {
  const bool ok = cv_.wait_until(lock, deadline, [&] { return done() || !abort_reason_.empty(); });
  throw_if_aborted(site);
  if (!ok) {
    throw DeadlinePassed{};
  }
}

std::shared_ptr<LocalWorld::Slot> LocalWorld::arrive(std::int64_t seq, int rank, const Op& op,
                                                     Clock::time_point deadline,
                                                     const CommSite& site) {
  std::unique_lock lock(mu_);
  throw_if_aborted(site);
  std::shared_ptr<Slot>& entry = slots_[{kDataChannel, seq}];
  if (!entry) {
    entry = std::make_shared<Slot>();
    entry->ops.resize(static_cast<std::size_t>(size_));
  }
  std::shared_ptr<Slot> slot = entry;
  slot->ops[static_cast<std::size_t>(rank)] = &op;
  if (++slot->arrived == size_) {
    cv_.notify_all();
  }
  try {
    wait(lock, deadline, site, [&] { return slot->arrived == size_; });
  } catch (const DeadlinePassed&) {
    // Withdraw, so a rank arriving late never reads an op that is gone.
    slot->ops[static_cast<std::size_t>(rank)] = nullptr;
    --slot->arrived;
    throw;
  }
  return slot;
}

void LocalWorld::depart(std::int64_t seq, Slot& slot, Clock::time_point deadline,
                        const CommSite& site) {
  std::unique_lock lock(mu_);
  if (++slot.departed == size_) {
    slots_.erase({kDataChannel, seq});
    cv_.notify_all();
  }
  wait(lock, deadline, site, [&] { return slot.departed == size_; });
}

std::vector<std::string> LocalWorld::exchange(std::int64_t seq, int rank, std::string bytes,
                                              Clock::time_point deadline, const CommSite& site) {
  std::unique_lock lock(mu_);
  throw_if_aborted(site);
  std::shared_ptr<Slot>& entry = slots_[{kControlChannel, seq}];
  if (!entry) {
    entry = std::make_shared<Slot>();
    entry->bytes.resize(static_cast<std::size_t>(size_));
  }
  std::shared_ptr<Slot> slot = entry;
  slot->bytes[static_cast<std::size_t>(rank)] = std::move(bytes);
  if (++slot->arrived == size_) {
    cv_.notify_all();
  }
  try {
    wait(lock, deadline, site, [&] { return slot->arrived == size_; });
  } catch (const DeadlinePassed&) {
    --slot->arrived;
    throw;
  }
  std::vector<std::string> all = slot->bytes;  // copied: others may still be reading
  if (++slot->departed == size_) {
    slots_.erase({kControlChannel, seq});
  }
  return all;
}

void LocalWorld::send(int source, int dest, int tag, const Buffer& data) {
  std::shared_ptr<WorkState> matched;
  std::exception_ptr error;
  {
    std::lock_guard lock(mu_);
    Mailbox& box = mailboxes_[static_cast<std::size_t>(dest)];
    for (auto it = box.posted.begin(); it != box.posted.end(); ++it) {
      if (!matches(*it, source, tag)) {
        continue;
      }
      if (it->into.dtype != data.dtype || it->into.count != data.count) {
        error = std::make_exception_ptr(CommError(
            it->state->site(), fmt::format("expected {} from rank {}, received {}",
                                           it->into.to_string(), source, data.to_string())));
      } else if (data.bytes() > 0) {
        std::memcpy(it->into.data, data.data, data.bytes());
      }
      it->state->set_source_rank(source);
      matched = std::move(it->state);
      box.posted.erase(it);
      break;
    }
    if (!matched) {
      const auto* begin = static_cast<const std::byte*>(data.data);
      box.unexpected.push_back(
          {source, tag, data.dtype, data.count, std::vector<std::byte>(begin, begin + data.bytes())});
    }
  }
  if (matched) {
    error ? matched->fail(error) : matched->complete();
  }
}

void LocalWorld::post_recv(int dest, PostedRecv recv) {
  std::exception_ptr error;
  {
    std::lock_guard lock(mu_);
    if (!abort_reason_.empty()) {
      error = std::make_exception_ptr(CommError(
          recv.state->site(), fmt::format("the local world was aborted: {}", abort_reason_)));
    } else {
      Mailbox& box = mailboxes_[static_cast<std::size_t>(dest)];
      auto it = box.unexpected.begin();
      while (it != box.unexpected.end() && !matches(recv, it->source, it->tag)) {
        ++it;
      }
      if (it == box.unexpected.end()) {
        box.posted.push_back(std::move(recv));
        return;
      }
      if (it->dtype != recv.into.dtype || it->count != recv.into.count) {
        error = std::make_exception_ptr(CommError(
            recv.state->site(),
            fmt::format("expected {} from rank {}, received {} x {}", recv.into.to_string(),
                        it->source, dtype_name(it->dtype), it->count)));
      } else if (!it->data.empty()) {
        std::memcpy(recv.into.data, it->data.data(), it->data.size());
      }
      recv.state->set_source_rank(it->source);
      box.unexpected.erase(it);
    }
  }
  error ? recv.state->fail(error) : recv.state->complete();
}

bool LocalWorld::cancel_recv(int dest, const WorkState* state) {
  std::lock_guard lock(mu_);
  std::list<PostedRecv>& posted = mailboxes_[static_cast<std::size_t>(dest)].posted;
  for (auto it = posted.begin(); it != posted.end(); ++it) {
    if (it->state.get() == state) {
      posted.erase(it);
      return true;
    }
  }
  return false;
}

std::shared_ptr<LocalWorld> LocalWorld::child(std::int64_t seq, int color, int size) {
  std::lock_guard lock(mu_);
  std::weak_ptr<LocalWorld>& entry = children_[{seq, color}];
  std::shared_ptr<LocalWorld> world = entry.lock();
  if (!world) {
    world = std::make_shared<LocalWorld>(size);
    entry = world;
  }
  return world;
}

void LocalWorld::abort(const std::string& reason) {
  std::vector<std::shared_ptr<LocalWorld>> children;
  std::vector<std::shared_ptr<WorkState>> receives;
  {
    std::lock_guard lock(mu_);
    if (!abort_reason_.empty()) {
      return;
    }
    abort_reason_ = reason.empty() ? std::string("unknown failure") : reason;
    for (auto& [key, weak] : children_) {
      if (auto world = weak.lock()) {
        children.push_back(std::move(world));
      }
    }
    for (Mailbox& box : mailboxes_) {
      for (PostedRecv& recv : box.posted) {
        receives.push_back(std::move(recv.state));
      }
      box.posted.clear();
    }
  }
  cv_.notify_all();
  for (const auto& state : receives) {
    state->fail(std::make_exception_ptr(
        CommError(state->site(), fmt::format("the local world was aborted: {}", reason))));
  }
  for (const auto& world : children) {
    world->abort(reason);
  }
}

void run_local_ranks(int size, const std::function<void(Communicator&)>& body,
                     const CommConfig& config) {
  auto world = std::make_shared<LocalWorld>(size);
  auto watchdog = std::make_shared<Watchdog>(config.on_timeout, config.watchdog_grace);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size));
  std::atomic<int> first_failure{-1};  // the cause; later failures are its echoes
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) {
    threads.emplace_back([&, r] {
      try {
        LocalCommunicator comm(world, r, config, watchdog);
        body(comm);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
        int none = -1;
        first_failure.compare_exchange_strong(none, r);
        world->abort(fmt::format("rank {} failed: {}", r, e.what()));
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
        int none = -1;
        first_failure.compare_exchange_strong(none, r);
        world->abort(fmt::format("rank {} failed", r));
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  if (first_failure.load() >= 0) {
    std::rethrow_exception(errors[static_cast<std::size_t>(first_failure.load())]);
  }
}

}  // namespace tessera::comm
