/** Wall-clock helpers shared by the bench sections. */

/** Seconds one call of fn takes, and its value. */
export function seconds<T>(fn: () => T): [number, T] {
  const t0 = performance.now();
  const value = fn();
  return [(performance.now() - t0) / 1000, value];
}

/** The fastest of n calls of fn, in seconds. */
export function bestOf(n: number, fn: () => void): number {
  let best = Infinity;
  for (let k = 0; k < n; k++) best = Math.min(best, seconds(fn)[0]);
  return best;
}
