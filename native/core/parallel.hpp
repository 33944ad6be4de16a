// Loops over many independent items (neurons, neuron blocks, tiles) on a few threads.
//
// parallelFor splits [0, count) into `threads` contiguous ranges and runs fn(begin, end, thread) on each,
// the first on the calling thread: for loops whose items write disjoint outputs, so that how the items
// are spread does not change any result.
//
// parallelSlots is for reductions (a sum over neurons): [0, count) is cut into `slots` fixed ranges whose
// count and boundaries depend only on the problem size (slotCount), never on the thread count. The
// threads take whole slots from a shared counter and run fn(begin, end, slot, thread); the caller keeps
// one accumulator per slot and adds the slots in slot order, so the sum has the same bits whatever the
// thread count (docs/MATH.md section 4, "Thread-count independence"). Scratch may be per thread
// (fn's `thread`), as long as a slot leaves nothing in it that the next slot's result depends on.
//
// Exceptions from any range or slot are rethrown on the caller after all threads have joined.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace nntk {

template <typename Fn>
void parallelFor(std::size_t count, std::size_t threads, Fn&& fn) {
  threads = std::max<std::size_t>(1, std::min(threads, count));
  if (threads == 1) {
    fn(std::size_t{0}, count, std::size_t{0});
    return;
  }
  std::vector<std::exception_ptr> errors(threads);
  auto run = [&](std::size_t t) {
    try {
      fn(count * t / threads, count * (t + 1) / threads, t);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(run, t);
  run(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// The most slots a reduction is cut into: enough to keep 64 threads busy, few enough that one
// accumulator per slot stays small next to the rest of the computation.
constexpr std::size_t kMaxSlots = 64;

// Slots for `count` items with at least `minPerSlot` items in each (but one slot at least), at most
// maxSlots (the caller's memory cap on the accumulators) and kMaxSlots. A function of its arguments only.
inline std::size_t slotCount(std::size_t count, std::size_t minPerSlot, std::size_t maxSlots = kMaxSlots) {
  const std::size_t wanted = count / std::max<std::size_t>(minPerSlot, 1);
  return std::clamp<std::size_t>(wanted, 1, std::max<std::size_t>(1, std::min(maxSlots, kMaxSlots)));
}

// Slot k of `slots` over [0, count): [slotBegin(k), slotBegin(k + 1)).
inline std::size_t slotBegin(std::size_t count, std::size_t slots, std::size_t k) { return count * k / slots; }

template <typename Fn>
void parallelSlots(std::size_t count, std::size_t slots, std::size_t threads, Fn&& fn) {
  slots = std::max<std::size_t>(slots, 1);
  threads = std::max<std::size_t>(1, std::min(threads, slots));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  parallelFor(threads, threads, [&](std::size_t, std::size_t, std::size_t t) {
    try {
      for (std::size_t k = next.fetch_add(1, std::memory_order_relaxed); k < slots && !failed.load(std::memory_order_relaxed);
           k = next.fetch_add(1, std::memory_order_relaxed))
        fn(slotBegin(count, slots, k), slotBegin(count, slots, k + 1), k, t);
    } catch (...) {
      failed.store(true, std::memory_order_relaxed);  // the other threads stop after their current slot
      throw;
    }
  });
}

}  // namespace nntk
