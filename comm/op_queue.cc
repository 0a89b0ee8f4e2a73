#include "comm/op_queue.h"

namespace tessera::comm {

bool OpQueue::shutdown() {
  bool stuck = false;
  {
    std::lock_guard lock(shared_->mu);
    shared_->stop = true;
    stuck = shared_->abandoned && shared_->busy;
  }
  shared_->cv.notify_all();
  if (worker_.joinable()) {
    if (stuck) {
      worker_.detach();  // it holds its own reference to the shared state
    } else {
      worker_.join();
    }
  }
  return !stuck;
}

void OpQueue::submit(Task task, bool inline_ok) {
  std::unique_lock lock(shared_->mu);
  if (inline_ok && !shared_->busy && shared_->tasks.empty()) {
    shared_->busy = true;
    lock.unlock();
    task.run();
    lock.lock();
    shared_->busy = false;
    if (!shared_->tasks.empty()) {
      lock.unlock();
      shared_->cv.notify_all();
    }
    return;
  }
  shared_->tasks.push_back(std::move(task));
  if (!worker_.joinable()) {
    worker_ = std::thread([shared = shared_] { work(shared); });
  }
  lock.unlock();
  shared_->cv.notify_all();
}

void OpQueue::abandon(const std::exception_ptr& error) {
  std::deque<Task> dropped;
  {
    std::lock_guard lock(shared_->mu);
    shared_->abandoned = true;
    dropped.swap(shared_->tasks);
  }
  for (Task& task : dropped) {
    if (task.state) {
      task.state->fail(error);
    }
  }
}

void OpQueue::work(const std::shared_ptr<Shared>& shared) {
  std::unique_lock lock(shared->mu);
  for (;;) {
    shared->cv.wait(lock, [&] {
      return (shared->stop && shared->tasks.empty()) || (!shared->busy && !shared->tasks.empty());
    });
    if (shared->tasks.empty()) {
      return;  // stopping
    }
    Task task = std::move(shared->tasks.front());
    shared->tasks.pop_front();
    shared->busy = true;
    lock.unlock();
    task.run();
    task = Task{};
    lock.lock();
    shared->busy = false;
  }
}

}  // namespace tessera::comm
