#pragma once

// LayerPool: threads that run layers' local problems concurrently.
//
//   LayerPool pool(2);
//   std::future<void> done = pool.submit([&] { solve(layer); });
//   done.get();  // rethrows what the task threw
//
// With 0 threads submit() runs the task at once on the caller's thread.
// Tasks run with autograd off (grad mode is per thread). Results do not
// depend on the thread count: each layer's arithmetic is its own.

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera::jobs::locoprop {

class LayerPool {
 public:
  explicit LayerPool(int threads);
  ~LayerPool();
  LayerPool(const LayerPool&) = delete;
  LayerPool& operator=(const LayerPool&) = delete;

  std::future<void> submit(std::function<void()> task);
  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  void work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> queue_;
  bool closing_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace tessera::jobs::locoprop
