/** The window-independent local noise level of y used by test (d) of the window search. */

const NOISE_BLOCK = 9; // second differences per median in the noise profile
const NOISE_MEDIAN = 0.635; // E[median of 9 consecutive squared normalized second differences] / sigma^2, white noise

/** Prefix sums (and counts) of the per-point noise estimates. */
export interface NoiseProfile {
  sum: Float64Array;
  count: Float64Array;
}

/**
 * Local noise level of y, independent of any window: the squared residual of each y_k from the line
 * through its two neighbours, normalized to the noise variance sigma^2 for white noise on a linear trend,
 * and its median over blocks of NOISE_BLOCK consecutive points (robust to a kink or an outlier in the
 * block), divided by NOISE_MEDIAN. Returns prefix sums (and counts) of the per-point estimates, so that a
 * window's noise variance is their mean over the window.
 */
export function noiseProfile(xs: Float64Array, y: Float64Array, positive: Uint8Array): NoiseProfile {
  const n = y.length;
  const e2 = new Float64Array(n).fill(NaN);
  for (let k = 1; k + 1 < n; k++) {
    if (!positive[k - 1] || !positive[k] || !positive[k + 1]) continue;
    const span = xs[k + 1]! - xs[k - 1]!;
    if (!(span > 0)) continue;
    const w = (xs[k]! - xs[k - 1]!) / span;
    const r = y[k]! - ((1 - w) * y[k - 1]! + w * y[k + 1]!);
    e2[k] = (r * r) / (1 + (1 - w) * (1 - w) + w * w);
  }
  const local = new Float64Array(n).fill(NaN);
  const buf = new Float64Array(NOISE_BLOCK);
  for (let b = 0; b < n; b += NOISE_BLOCK) {
    const e = Math.min(b + NOISE_BLOCK, n);
    let m = 0;
    for (let k = b; k < e; k++) {
      const v = e2[k]!;
      if (Number.isNaN(v)) continue;
      let j = m++;
      for (; j > 0 && buf[j - 1]! > v; j--) buf[j] = buf[j - 1]!; // insertion sort
      buf[j] = v;
    }
    if (m === 0) continue;
    const median = m % 2 ? buf[(m - 1) / 2]! : 0.5 * (buf[m / 2 - 1]! + buf[m / 2]!);
    for (let k = b; k < e; k++) if (positive[k]) local[k] = median / NOISE_MEDIAN;
  }
  const sum = new Float64Array(n + 1);
  const count = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) {
    const v = local[k]!;
    const ok = !Number.isNaN(v);
    sum[k + 1] = sum[k]! + (ok ? v : 0);
    count[k + 1] = count[k]! + (ok ? 1 : 0);
  }
  return { sum, count };
}

/** Mean of the noise profile over [first, last], or 0 when it has no estimate there. */
export function windowNoise(p: NoiseProfile, first: number, last: number): number {
  const c = p.count[last + 1]! - p.count[first]!;
  return c > 0 ? Math.max(0, (p.sum[last + 1]! - p.sum[first]!) / c) : 0;
}
