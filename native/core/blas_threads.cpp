#include "blas_threads.hpp"

#include <cblas.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace nntk {
namespace {

// Admission of BlasScopes (see the header). All fields are guarded by mutex.
struct Coordinator {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t configured = static_cast<std::size_t>(std::max(1, openblas_get_num_threads()));
  std::size_t applied = configured;   // OpenBLAS's thread count now
  BlasMode current = BlasMode::Pool;  // the mode of the scopes in flight (or of the last ones)
  std::size_t active = 0;             // outermost scopes in flight, all of mode `current`
  std::size_t waiting[2] = {0, 0};    // scopes waiting, per mode
  std::size_t entitled = 0;           // waiters of `current` still to be admitted in the batch of the last change

  std::size_t countFor(BlasMode mode) const { return mode == BlasMode::SingleThreaded ? 1 : configured; }

  // Whether a scope of `mode` may start now; admitting it may change OpenBLAS's count. Called under mutex.
  bool admit(BlasMode mode) {
    const std::size_t want = countFor(mode);
    const auto other = static_cast<std::size_t>(mode == BlasMode::Pool ? BlasMode::SingleThreaded : BlasMode::Pool);
    if (current == mode && applied == want) {
      if (entitled > 0) {
        --entitled;
        return true;
      }
      return waiting[other] == 0;  // join the running mode unless the other one waits for its turn
    }
    // The count must change: only with nothing in flight, and not before the last batch has been admitted.
    if (active > 0 || (current != mode && entitled > 0)) return false;
    openblas_set_num_threads(static_cast<int>(want));
    applied = want;
    current = mode;
    entitled = waiting[static_cast<std::size_t>(mode)] - 1;  // everyone of this mode waiting now, besides us
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
  if (c.active == 0 && c.current == BlasMode::Pool && c.applied != c.configured) {
    openblas_set_num_threads(static_cast<int>(c.configured));
    c.applied = c.configured;
  }
  c.changed.notify_all();  // a waiting Pool scope may now need the other count
}

BlasScope::BlasScope(BlasMode mode) {
  if (heldDepth++ > 0) return;
  Coordinator& c = coordinator();
  std::unique_lock<std::mutex> lock(c.mutex);
  ++c.waiting[static_cast<std::size_t>(mode)];
  c.changed.wait(lock, [&] { return c.admit(mode); });
  --c.waiting[static_cast<std::size_t>(mode)];
  ++c.active;
}

BlasScope::~BlasScope() {
  if (--heldDepth > 0) return;
  Coordinator& c = coordinator();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (--c.active == 0) c.changed.notify_all();
}

}  // namespace nntk
