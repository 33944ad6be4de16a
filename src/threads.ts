/**
 * Thread count of nntk's own parallel loops (structured sweeps, kernels, training, the dense path's tiled
 * factorization); OpenBLAS runs at one thread per call, and results do not depend on the count. Each async
 * call runs on libuv's pool with this many threads of its own, so concurrent async calls multiply: keep
 * (calls in flight) x threads <= cores. OPENBLAS_NUM_THREADS (or NNTK_THREADS) in the environment sets the
 * starting value.
 */
import { native } from './native.js';
import { requireInteger } from './validate.js';

export function setThreads(n: number): void {
  native().setThreads(requireInteger(n, 'threads', 1, 4096));
}

export function getThreads(): number {
  return native().getThreads();
}
