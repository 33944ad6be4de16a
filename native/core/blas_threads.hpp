// Thread counts. OpenBLAS's thread count is a process-wide setting (OpenBLAS 0.3.21 has no per-call or
// per-thread count), so this is the one process-wide object of nntk. It remembers the count the user
// chose (setThreads, or OPENBLAS_NUM_THREADS at start), which nntk's own loops use (parallel.hpp), and
// runs every BLAS/LAPACK-calling computation in a mode:
//
//   Pool, SingleThreaded  OpenBLAS at one thread. Every computation of nntk runs so: OpenBLAS's threaded
//                   DGEMM, DPOTRF, DSYTRF, DSYTRD, DSYEVD give different bits at different thread counts
//                   (measured on 0.3.21 at n = 32 .. 3000, 1 .. 4 threads; only DSYRK agreed), and nntk's
//                   results must not depend on setThreads (docs/MATH.md section 4, "Thread-count
//                   independence"). The parallelism is nntk's own: fixed slots of neurons (parallel.hpp) and
//                   fixed tiles of the dense matrices (tiled_blas.hpp), each a one-thread BLAS call.
//                   Pool names the calls on the computation's own thread (factorizations of M x M and
//                   P x P matrices), SingleThreaded the worker threads' calls; both admit each other.
//   Threaded        OpenBLAS at the chosen count, for measuring BLAS rates only (blas_bench.hpp).
//
// The count must not change while any computation is inside a scope: a BlasScope holds its mode for its
// whole duration, scopes of the same count run concurrently, and the count changes only when no scope is
// in flight. A mode that waits gets the next turn (scopes of the running count that arrive after it wait
// behind it), and every waiter of a count is admitted together when its turn comes. A change of the
// chosen count (setThreads) takes effect at once if no Threaded scope is in flight, otherwise before the
// next Threaded scope starts.
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

enum class BlasMode { Pool = 0, SingleThreaded = 1, Threaded = 2 };

class BlasScope {
 public:
  explicit BlasScope(BlasMode mode);
  ~BlasScope();
  BlasScope(const BlasScope&) = delete;
  BlasScope& operator=(const BlasScope&) = delete;
};

}  // namespace nntk
