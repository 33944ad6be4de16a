#include "worker_pool.hpp"

#include <algorithm>

namespace nntk {
namespace {

// Waits until `value` differs from `from` and returns the new value. No spinning of our own: in a virtual
// machine a spinning vCPU can take the time the working one needs (measured: two vCPUs that share one
// core's time), and the pool's tasks are long enough (milliseconds) that a futex wake-up is noise.
unsigned awaitChange(const std::atomic<unsigned>& value, unsigned from) {
  for (;;) {
    value.wait(from, std::memory_order_acquire);
    const unsigned now = value.load(std::memory_order_acquire);
    if (now != from) return now;
  }
}

}  // namespace

WorkerPool::WorkerPool(std::size_t threads) : errors_(std::max<std::size_t>(threads, 1)) {
  workers_.reserve(errors_.size() - 1);
  for (std::size_t t = 1; t < errors_.size(); ++t) workers_.emplace_back([this, t] { work(t); });
}

WorkerPool::~WorkerPool() {
  stopping_.store(true, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void WorkerPool::runTask(std::size_t t) noexcept {
  try {
    task_(context_, t);
  } catch (...) {
    errors_[t] = std::current_exception();
  }
}

void WorkerPool::dispatch() {
  std::fill(errors_.begin(), errors_.end(), nullptr);
  pending_.store(static_cast<unsigned>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);  // publishes task_, context_ and pending_
  generation_.notify_all();
  runTask(0);
  for (unsigned left = pending_.load(std::memory_order_acquire); left != 0; left = awaitChange(pending_, left)) {
  }
  for (const auto& e : errors_)
    if (e) std::rethrow_exception(e);
}

void WorkerPool::work(std::size_t t) {
  unsigned seen = 0;
  for (;;) {
    seen = awaitChange(generation_, seen);
    if (stopping_.load(std::memory_order_relaxed)) return;
    runTask(t);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

}  // namespace nntk
