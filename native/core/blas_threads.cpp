#include "blas_threads.hpp"

#include <cblas.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace nntk {
namespace {

// The OpenBLAS thread counts a scope may ask for: one, or the chosen count (BlasMode::Threaded).
enum class Count : std::size_t { One = 0, Chosen = 1 };
Count countOf(BlasMode mode) { return mode == BlasMode::Threaded ? Count::Chosen : Count::One; }

// Admission of BlasScopes (see the header). All fields are guarded by mutex.
struct Coordinator {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t configured = static_cast<std::size_t>(std::max(1, openblas_get_num_threads()));
  std::size_t applied = configured;  // OpenBLAS's thread count now
  Count current = Count::Chosen;     // the count of the scopes in flight (or of the last ones)
  std::size_t active = 0;            // outermost scopes in flight, all of count `current`
  std::size_t waiting[2] = {0, 0};   // scopes waiting, per count
  std::size_t entitled = 0;          // waiters of `current` still to be admitted in the batch of the last change

  std::size_t threadsFor(Count count) const { return count == Count::One ? 1 : configured; }

  // Whether a scope of `count` may start now; admitting it may change OpenBLAS's count. Called under mutex.
  bool admit(Count count) {
    const std::size_t want = threadsFor(count);
    const auto other = static_cast<std::size_t>(count == Count::One ? Count::Chosen : Count::One);
    if (current == count && applied == want) {
      if (entitled > 0) {
        --entitled;
        return true;
      }
      return waiting[other] == 0;  // join the running count unless the other one waits for its turn
    }
    // The count must change: only with nothing in flight, and not before the last batch has been admitted.
    if (active > 0 || (current != count && entitled > 0)) return false;
    openblas_set_num_threads(static_cast<int>(want));
    applied = want;
    current = count;
    entitled = waiting[static_cast<std::size_t>(count)] - 1;  // everyone of this count waiting now, besides us
    changed.notify_all();
    return true;
  }
};

Coordinator& coordinator() {
  static Coordinator c;  // created on first use, after OpenBLAS has read its environment
  return c;
}

// The scopes the calling thread holds: only the outermost one waits and counts.
thread_local std::size_t heldDepth = 0;

}  // namespace

std::size_t configuredThreads() {
  Coordinator& c = coordinator();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.configured;
}

void setConfiguredThreads(std::size_t n) {
  Coordinator& c = coordinator();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.configured = std::max<std::size_t>(n, 1);
  if (c.active == 0 && c.current == Count::Chosen && c.applied != c.configured) {
    openblas_set_num_threads(static_cast<int>(c.configured));
    c.applied = c.configured;
  }
  c.changed.notify_all();  // a waiting Threaded scope may now need the other count
}

BlasScope::BlasScope(BlasMode mode) {
  if (heldDepth++ > 0) return;
  Coordinator& c = coordinator();
  std::unique_lock<std::mutex> lock(c.mutex);
  const Count count = countOf(mode);
  ++c.waiting[static_cast<std::size_t>(count)];
  c.changed.wait(lock, [&] { return c.admit(count); });
  --c.waiting[static_cast<std::size_t>(count)];
  ++c.active;
}

BlasScope::~BlasScope() {
  if (--heldDepth > 0) return;
  Coordinator& c = coordinator();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (--c.active == 0) c.changed.notify_all();
}

}  // namespace nntk
