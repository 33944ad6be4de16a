/**
 * The exponential rate of a decaying series: values ~ prefactor * exp(-rate * x) by least squares on
 * log(values) over its longest linear stretch (window-detection.ts; how it is found:
 * docs/notes/fitting-window-detection.md) or over a window the caller gives.
 */
import { invalid, requireInteger } from '../validate.js';
import { isArrayLike, readNumbers, readOptions } from './input.js';
import { newWorkspace } from './linearity-test.js';
import { fitLine } from './line-fit.js';
import { studentTQuantile } from './student-t.js';
import { detectWindow, windowIsLinear } from './window-detection.js';

export interface ExponentialRateOptions {
  /** Abscissae (iterations by default: 0, 1, 2, ...; seconds give a rate per second). Non-decreasing. */
  x?: ArrayLike<number>;
  /** Inclusive indices [first, last] into values to fit. Default: the linear stretch of log(values), detected. */
  window?: [number, number];
}

export interface ExponentialRateFit {
  /** values ~ prefactor * exp(-rate * x). */
  readonly rate: number;
  /** 95% confidence interval of the rate (slope standard error times Student's t at n - 2 df). */
  readonly ci95: [number, number];
  /** R^2 of the line fit in log space. */
  readonly r2: number;
  /** Inclusive indices [first, last] of the values that were fitted. */
  readonly window: [number, number];
  /** C at x = 0. */
  readonly prefactor: number;
  /** Values used (those > 0 inside the window). */
  readonly points: number;
  /** Standard error of the rate. */
  readonly stdError: number;
  /** Whether log(values) over the window passes the linearity test (R^2 >= 0.99, no curvature). */
  readonly linear: boolean;
}

/**
 * Fits values ~ prefactor * exp(-rate * x) by least squares on log(values) over the longest stretch that
 * is linear in log space (or over o.window): a warm-up at the start and the rounding floor (or exact
 * zeros) at the end are detected and left out. ci95 from the slope's standard error and Student's t.
 */
export function fitExponentialRate(values: ArrayLike<number>, o?: ExponentialRateOptions): ExponentialRateFit {
  const v = readNumbers(values, 'values');
  const opts = readOptions(o, 'fitExponentialRate options', ['x', 'window']);
  const n = v.length;
  if (n < 3) {
    throw invalid('E_ARGUMENT', 'values', 'at least 3 values', values, 'a rate needs 3 or more points of a decaying series');
  }
  let x: Float64Array;
  if (opts.x === undefined) {
    x = new Float64Array(n);
    for (let k = 0; k < n; k++) x[k] = k;
  } else {
    x = readNumbers(opts.x, 'o.x');
    if (x.length !== n) throw invalid('E_SHAPE', 'o.x', `${n} abscissae (one per value)`, opts.x);
    for (let k = 1; k < n; k++) {
      if (x[k]! < x[k - 1]!) {
        throw invalid('E_ARGUMENT', `o.x[${k}]`, `a number >= o.x[${k - 1}] = ${x[k - 1]} (x must be non-decreasing)`, x[k]);
      }
    }
    if (!(x[n - 1]! > x[0]!)) throw invalid('E_ARGUMENT', 'o.x', 'abscissae that increase somewhere', opts.x);
  }
  const positive = new Uint8Array(n);
  const y = new Float64Array(n);
  let usable = 0;
  for (let k = 0; k < n; k++) {
    if (v[k]! > 0) {
      positive[k] = 1;
      y[k] = Math.log(v[k]!);
      usable++;
    } else {
      y[k] = NaN;
    }
  }
  if (usable < 3) {
    throw invalid(
      'E_ARGUMENT',
      'values',
      'at least 3 values > 0',
      values,
      `only ${usable} are > 0; zeros and negative values have no logarithm and are left out`,
    );
  }

  const ws = newWorkspace(); // this call's scratch for the linearity tests
  let first: number;
  let last: number;
  let linear: boolean;
  if (opts.window !== undefined) {
    const w = opts.window;
    if (!isArrayLike(w) || w.length !== 2) {
      throw invalid('E_ARGUMENT', 'o.window', 'inclusive indices [first, last]', w);
    }
    first = requireInteger(w[0], 'o.window[0]', 0, n - 1);
    last = requireInteger(w[1], 'o.window[1]', 0, n - 1);
    if (last - first < 2) {
      throw invalid('E_ARGUMENT', 'o.window', 'indices [first, last] with last - first >= 2', w, `received [${first}, ${last}]`);
    }
    let inside = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = first; k <= last; k++) {
      if (!positive[k]) continue;
      inside++;
      lo = Math.min(lo, x[k]!);
      hi = Math.max(hi, x[k]!);
    }
    if (inside < 3) {
      throw invalid('E_ARGUMENT', 'o.window', 'a window holding at least 3 values > 0', w, `it holds ${inside}`);
    }
    if (!(hi > lo)) throw invalid('E_ARGUMENT', 'o.window', 'a window over which x varies', w, `x is ${lo} throughout`);
    linear = windowIsLinear(ws, x, y, positive, first, last);
  } else {
    let xs = x;
    if (opts.x !== undefined) {
      // Rescaled to index units, so that the moment sums stay in range whatever the unit of x.
      const x0 = x[0]!;
      const scale = (n - 1) / (x[n - 1]! - x0);
      xs = new Float64Array(n);
      for (let k = 0; k < n; k++) xs[k] = (x[k]! - x0) * scale;
    }
    const found = detectWindow(ws, xs, y, positive);
    if (found) {
      ({ first, last, linear } = found);
    } else {
      // Nothing varies anywhere (or no 3 consecutive positive values): the longest run of values > 0.
      let bestLength = 0;
      first = 0;
      last = -1;
      for (let k = 0; k < n; ) {
        if (!positive[k]) {
          k++;
          continue;
        }
        let e = k;
        while (e + 1 < n && positive[e + 1]) e++;
        if (e - k + 1 > bestLength) {
          bestLength = e - k + 1;
          first = k;
          last = e;
        }
        k = e + 1;
      }
      if (bestLength < 3) {
        throw invalid(
          'E_ARGUMENT',
          'values',
          'at least 3 consecutive values > 0',
          values,
          'zeros and negative values split the series; pass o.window to fit a range that skips them',
        );
      }
      linear = false;
    }
  }
  const fit = fitLine(x, y, first, last, positive);
  const rate = 0 - fit.slope; // not -0 for a flat series
  const half = studentTQuantile(0.975, fit.n - 2) * fit.stdError;
  return {
    rate,
    ci95: [rate - half, rate + half],
    r2: fit.r2,
    window: [first, last],
    prefactor: Math.exp(fit.intercept),
    points: fit.n,
    stdError: fit.stdError,
    linear,
  };
}
