// A persistent pool for loops that hand out many tasks in a row (the first-order training iterations of a
// wide network): parallelFor starts and joins threads for every call. The workers live as long as the
// pool; run(fn) calls fn(t) for t = 0 .. size()-1, t = 0 on the calling thread, and returns when all have
// finished. Waiting threads sleep on a futex (std::atomic::wait), so an idle pool costs no CPU.
#pragma once
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace nntk {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);  // threads - 1 workers besides the caller
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t size() const { return workers_.size() + 1; }

  // fn(t) on every thread t; an exception thrown by any of them is rethrown here after all have finished.
  template <typename Fn>
  void run(Fn& fn) {
    task_ = [](void* context, std::size_t t) { (*static_cast<Fn*>(context))(t); };
    context_ = &fn;
    dispatch();
  }

 private:
  void dispatch();
  void work(std::size_t t);
  void runTask(std::size_t t) noexcept;

  std::vector<std::thread> workers_;
  std::vector<std::exception_ptr> errors_;
  void (*task_)(void*, std::size_t) = nullptr;
  void* context_ = nullptr;
  std::atomic<unsigned> generation_{0};  // bumped once per task; workers wait for it to change
  std::atomic<unsigned> pending_{0};     // workers still running the current task
  std::atomic<bool> stopping_{false};
};

}  // namespace nntk
