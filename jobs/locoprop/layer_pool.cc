#include "jobs/locoprop/layer_pool.h"

#include <torch/types.h>

namespace tessera::jobs::locoprop {

LayerPool::LayerPool(int threads) {
  for (int i = 0; i < threads; ++i) {
    workers_.emplace_back([this] { work(); });
  }
}

LayerPool::~LayerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) {
    t.join();
  }
}

std::future<void> LayerPool::submit(std::function<void()> task) {
  std::packaged_task<void()> packaged([task = std::move(task)] {
    torch::NoGradGuard no_grad;
    task();
  });
  std::future<void> done = packaged.get_future();
  if (workers_.empty()) {
    packaged();
    return done;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(packaged));
  }
  cv_.notify_one();
  return done;
}

void LayerPool::work() {
  for (;;) {
    std::packaged_task<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace tessera::jobs::locoprop
