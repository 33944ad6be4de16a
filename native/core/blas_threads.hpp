// Thread counts. OpenBLAS's thread count is a process-wide setting (OpenBLAS 0.3.21 has no per-call or
// per-thread count), so this is the one process-wide object of nntk. It remembers the count the user
// chose (setThreads, or OPENBLAS_NUM_THREADS at start) and runs every BLAS/LAPACK-calling computation in
// one of two modes:
//
//   Pool            OpenBLAS at the chosen count: the dense path and the M x M factorizations, one BLAS
//                   call at a time per computation, each using OpenBLAS's own threads.
//   SingleThreaded  OpenBLAS at one thread: structured sweeps, whose worker threads each call BLAS side by
//                   side (measured: 85 vs 36 GFLOP/s for two concurrent DSYRK callers on 2 cores) instead
//                   of queueing on OpenBLAS's pool.
//
// OpenBLAS's blocking, and so the last bits of e.g. DPOTRF, depends on the thread count, so the count must
// not change while any computation is inside a scope: a BlasScope holds its mode for its whole duration,
// scopes of the same mode run concurrently, and the count changes only when no scope is in flight. A mode
// that waits gets the next turn (scopes of the running mode that arrive after it wait behind it), and every
// waiter of a mode is admitted together when its turn comes. A change of the chosen count (setThreads)
// takes effect the same way: at once if no Pool scope is in flight, otherwise before the next Pool scope
// starts, after the running ones have finished.
//
// Rules for callers: take a scope around every BLAS/LAPACK call, on the thread that starts the computation
// (never inside a worker of another scope's parallel loop: the workers run in their parent's mode). A scope
// nested inside another on the same thread does not wait and runs in the outer scope's mode.
#pragma once
#include <cstddef>

namespace nntk {

// The thread count the user chose; nntk's own worker pools use it too.
std::size_t configuredThreads();
void setConfiguredThreads(std::size_t n);

enum class BlasMode { Pool = 0, SingleThreaded = 1 };

class BlasScope {
 public:
  explicit BlasScope(BlasMode mode);
  ~BlasScope();
  BlasScope(const BlasScope&) = delete;
  BlasScope& operator=(const BlasScope&) = delete;
};

}  // namespace nntk
