#include "call_threads.hpp"

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

namespace nntk::glue {
namespace {

constexpr std::chrono::seconds kIdleLifetime{5};

class CallThreads {
 public:
  bool run(std::function<void()> task) {
    std::unique_lock<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    // Every waiting thread takes exactly one task when it wakes: a task beyond them needs a new thread.
    if (tasks_.size() <= idle_) {
      wanted_.notify_one();
      return true;
    }
    try {
      std::thread([this] { serve(); }).detach();
      return true;
    } catch (const std::system_error&) {
      tasks_.pop_back();
      return false;
    }
  }

 private:
  void serve() {
#ifdef __linux__
    pthread_setname_np(pthread_self(), "nntk-call");
#endif
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (tasks_.empty()) {
        ++idle_;
        const bool woken = wanted_.wait_for(lock, kIdleLifetime, [this] { return !tasks_.empty(); });
        --idle_;
        if (!woken) return;
      }
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      task = nullptr;  // whatever the task held is freed before the thread waits again
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wanted_;
  std::deque<std::function<void()>> tasks_;
  std::size_t idle_ = 0;  // threads waiting for a task
};

}  // namespace

bool runOnCallThread(std::function<void()> task) {
  static CallThreads* threads = new CallThreads();
  return threads->run(std::move(task));
}

}  // namespace nntk::glue
