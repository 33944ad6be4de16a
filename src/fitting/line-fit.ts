/** The exact two-pass least-squares line used for the reported fits (rate and power law). */

export interface LineFit {
  slope: number;
  intercept: number;
  stdError: number;
  r2: number;
  n: number;
}

/** Two-pass least-squares line through (x_k, y_k) for k in [first, last] with use[k]. */
export function fitLine(x: Float64Array, y: Float64Array, first: number, last: number, use?: Uint8Array): LineFit {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let k = first; k <= last; k++) {
    if (use && !use[k]) continue;
    n++;
    mx += x[k]!;
    my += y[k]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let k = first; k <= last; k++) {
    if (use && !use[k]) continue;
    const dx = x[k]! - mx;
    const dy = y[k]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (let k = first; k <= last; k++) {
    if (use && !use[k]) continue;
    const r = y[k]! - intercept - slope * x[k]!;
    ssRes += r * r;
  }
  const stdError = n > 2 ? Math.sqrt(ssRes / (n - 2) / sxx) : NaN;
  const r2 = syy > 0 ? Math.max(0, 1 - ssRes / syy) : 1;
  return { slope, intercept, stdError, r2, n };
}
