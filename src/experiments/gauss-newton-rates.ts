/**
 * The rates of the Gauss-Newton experiments (docs/MATH.md section 6.1): the late-time exponential rate of
 * a loss curve, and the mean of per-seed values with a Student-t interval.
 */
import { fitExponentialRate } from '../fitting/exponential-rate.js';
import { studentTQuantile } from '../fitting/student-t.js';
import type { RunRate, SeedMean } from './gauss-newton-types.js';

/**
 * loss ~ C exp(-rate t) fitted by least squares on log(loss) over the second half of the curve, the curve
 * being cut at the first record whose loss is at or below floorRatio times the first loss (there the
 * unreachable rest of the target and rounding take over): the asymptotic rate the theory speaks of,
 * without the fast start of the large modes. At least the first three records are used (a run that
 * reaches the floor in one or two iterations gets a rate that is a lower bound). Null when fewer than
 * three records have a positive finite loss.
 */
export function lateRate(iterations: readonly number[], losses: readonly number[], floorRatio: number): RunRate | null {
  const n = losses.findIndex((l) => !Number.isFinite(l));
  const usable = n < 0 ? losses.length : n;
  if (usable < 3 || !(losses[0]! > 0)) return null;
  const floor = floorRatio * losses[0]!;
  let end = losses.slice(0, usable).findIndex((l) => l <= floor);
  if (end < 0) end = usable - 1;
  end = Math.max(end, 2);
  const first = Math.min(Math.floor(end / 2), end - 2);
  const x = iterations.slice(0, end + 1);
  const y = losses.slice(0, end + 1).map((l) => Math.max(l, Number.MIN_VALUE));
  try {
    const fit = fitExponentialRate(y, { x, window: [first, end] });
    return { rate: fit.rate, ci95: fit.ci95, r2: fit.r2, window: [x[first]!, x[end]!] };
  } catch {
    return null;
  }
}

/**
 * Mean of the finite values and its 95% interval mean +- t(0.975, n - 1) s / sqrt(n); for one value the
 * interval given (the fit's own), for none NaN.
 */
export function seedMean(values: readonly number[], single?: [number, number]): SeedMean {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (n === 0) return { mean: Number.NaN, ci95: [Number.NaN, Number.NaN], seeds: 0 };
  const mean = v.reduce((s, x) => s + x, 0) / n;
  if (n === 1) return { mean, ci95: single ?? [mean, mean], seeds: 1 };
  const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const half = studentTQuantile(0.975, n - 1) * Math.sqrt(variance / n);
  return { mean, ci95: [mean - half, mean + half], seeds: n };
}

/** Geometric mean of the positive finite values (NaN when there are none). */
export function geometricMean(values: readonly number[]): number {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  return v.length === 0 ? Number.NaN : Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
}

/** Least-squares slope of log(y) against log(x) over the pairs where both are positive and finite. */
export function logLogSlope(x: readonly number[], y: readonly number[]): number {
  const pairs = x.map((xi, k) => [xi, y[k]!] as const).filter(([a, b]) => a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b));
  if (pairs.length < 2) return Number.NaN;
  const lx = pairs.map(([a]) => Math.log(a));
  const ly = pairs.map(([, b]) => Math.log(b));
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  const sxx = lx.reduce((s, v) => s + (v - mx) ** 2, 0);
  const sxy = lx.reduce((s, v, k) => s + (v - mx) * (ly[k]! - my), 0);
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

/** Runs `tasks` with at most `concurrency` at a time (train() and ntkGram() work off the main thread), in order of their results. */
export async function runLimited<T>(tasks: (() => Promise<T>)[], concurrency: number, onDone: () => void): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const k = next++;
      results[k] = await tasks[k]!();
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker));
  return results;
}
