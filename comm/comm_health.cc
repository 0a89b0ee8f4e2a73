#include "comm/comm_health.h"

namespace tessera::comm {

void CommHealth::poison(std::string reason) noexcept {
  std::function<void(const std::string&)> hook;
  {
    std::lock_guard lock(mu_);
    if (!reason_.empty()) {
      return;
    }
    reason_ = reason.empty() ? std::string("unknown failure") : std::move(reason);
    healthy_.store(false, std::memory_order_release);
    hook = std::move(abort_hook_);
  }
  if (hook) {
    hook(reason_);
  }
}

}  // namespace tessera::comm
