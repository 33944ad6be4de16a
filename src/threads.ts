/**
 * Thread count of nntk's own parallel loops (structured sweeps, kernels, training, the dense path's tiled
 * factorization); OpenBLAS runs at one thread per call, and results do not depend on the count.
 * OPENBLAS_NUM_THREADS (or NNTK_THREADS) in the environment sets the starting value.
 *
 * Every async call (train, newtonStep, the Grams, ...) runs on a thread of its own, not on libuv's pool of
 * 4 (UV_THREADPOOL_SIZE), so any number run at once and file I/O never waits behind them; each uses this
 * many threads. With k calls in flight on C cores, setThreads(Math.max(1, Math.floor(C / k))) keeps
 * k x threads <= C. The count is process-wide, and calls in flight pick a change up at their next
 * parallel loop (their results stay the same bits, only their time changes).
 */
import { native } from './native.js';
import { requireInteger } from './validate.js';

export function setThreads(n: number): void {
  native().setThreads(requireInteger(n, 'threads', 1, 4096));
}

export function getThreads(): number {
  return native().getThreads();
}
