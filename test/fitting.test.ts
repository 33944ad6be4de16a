/**
 * Convergence-rate fitting: exact recovery, window detection past a warm-up and a rounding floor,
 * coverage of the 95% intervals over seeded repetitions, Student's t quantile against tables, and
 * bad input (one kind per test). All data are generated from fixed seeds; no timing assertions.
 */
import { describe, expect, it, vi } from 'vitest';
import { NntkError } from '../src/errors.js';
import { fitExponentialRate, fitPowerLaw, studentTQuantile } from '../src/fitting/index.js';
import { rng } from './helpers.js';

// Type escape for deliberately wrong calls.
type Any = any;
const bad = (v: unknown): Any => v;

/** Standard normal by Box-Muller. */
function gauss(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}


function expectCode(fn: () => unknown, code: string, message?: RegExp): NntkError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(NntkError);
  const e = error as NntkError;
  expect(e.code, e.message).toBe(code);
  if (message) expect(e.message).toMatch(message);
  return e;
}

const covers = (ci: [number, number], value: number): boolean => ci[0] <= value && value <= ci[1];

/**
 * 20 warm-up iterations decaying at warmRate, then 200 at rate (1% log-normal noise throughout), then
 * 100 floor values; the exponential regime is [20, 219] (index 20 is the corner of both lines).
 */
function warmupAndFloor(seed: number, warmRate: number, rate: number, floor: (r: () => number) => number): number[] {
  const r = rng(seed);
  const values: number[] = [];
  for (let k = 0; k < 320; k++) {
    const y = k <= 20 ? -warmRate * k : -warmRate * 20 - rate * (k - 20);
    values.push(k < 220 ? Math.exp(y + 0.01 * gauss(r)) : floor(r));
  }
  return values;
}

describe('studentTQuantile', () => {
  it('matches tabulated t quantiles to 1e-6 (and to ~1e-13 in fact)', () => {
    const table: [number, number, number][] = [
      [0.975, 1, 12.7062047361747],
      [0.975, 2, 4.30265272974946],
      [0.975, 3, 3.18244630528371],
      [0.975, 4, 2.77644510519779],
      [0.975, 5, 2.57058183563631],
      [0.975, 10, 2.22813885198627],
      [0.975, 20, 2.08596344726586],
      [0.975, 30, 2.04227245630124],
      [0.975, 100, 1.98397151852355],
      [0.995, 10, 3.16927267261695],
      [0.95, 7, 1.89457860509001],
    ];
    for (const [p, df, value] of table) {
      expect(Math.abs(studentTQuantile(p, df) - value), `t(${p}, ${df})`).toBeLessThan(1e-6);
      expect(Math.abs(studentTQuantile(p, df) - value)).toBeLessThan(1e-12);
      expect(studentTQuantile(1 - p, df)).toBeCloseTo(-value, 12);
    }
    expect(studentTQuantile(0.5, 7)).toBe(0);
  });

  it('approaches the normal quantile for large df (Cornish-Fisher to second order)', () => {
    const z = 1.959963984540054;
    for (const df of [1e4, 1e5, 1e6]) {
      const expected = z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
      expect(Math.abs(studentTQuantile(0.975, df) - expected)).toBeLessThan(1e-10);
    }
  });

  it('rejects a probability outside (0, 1) and a non-positive df', () => {
    expectCode(() => studentTQuantile(1, 5), 'E_ARGUMENT');
    expectCode(() => studentTQuantile(0.975, 0), 'E_ARGUMENT');
    expectCode(() => studentTQuantile(Number.NaN, 3), 'E_NONFINITE');
    expectCode(() => studentTQuantile(0.9, Number.POSITIVE_INFINITY), 'E_NONFINITE');
    expectCode(() => studentTQuantile('0.9' as never, 3), 'E_ARGUMENT');
  });
});

describe('fitExponentialRate', () => {
  it('recovers exact data: rate, prefactor, R^2 = 1, in iterations and in seconds', () => {
    const values = Array.from({ length: 40 }, (_, k) => 3 * Math.exp(-0.7 * k));
    const f = fitExponentialRate(values);
    expect(Math.abs(f.rate - 0.7)).toBeLessThan(1e-12);
    expect(Math.abs(f.r2 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(f.prefactor - 3)).toBeLessThan(1e-12);
    expect(f.window).toEqual([0, 39]);
    expect(f.points).toBe(40);
    expect(f.linear).toBe(true);
    expect(f.ci95[0]).toBeLessThanOrEqual(f.rate);
    expect(f.ci95[1]).toBeGreaterThanOrEqual(f.rate);
    expect(f.ci95[1] - f.ci95[0]).toBeLessThan(1e-12);

    // x in seconds (0.25 s per iteration): a rate per second.
    const seconds = Float64Array.from(values, (_, k) => 0.25 * k);
    const g = fitExponentialRate(Float64Array.from(values), { x: seconds });
    expect(Math.abs(g.rate - 2.8)).toBeLessThan(1e-12);
    expect(Math.abs(g.r2 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(g.prefactor - 3)).toBeLessThan(1e-12);
    expect(g.window).toEqual([0, 39]);

    // Irregular time steps are fine as well.
    const t: number[] = [];
    for (let k = 0, s = 0; k < 40; k++, s += 0.1 + 0.05 * (k % 3)) t.push(s);
    const h = fitExponentialRate(t.map((s) => 5 * Math.exp(-1.5 * s)), { x: t });
    expect(Math.abs(h.rate - 1.5)).toBeLessThan(1e-12);
    expect(Math.abs(h.prefactor - 5)).toBeLessThan(1e-12);
  });

  it('fits a given window only, skipping values <= 0 inside it', () => {
    const values = Array.from({ length: 30 }, (_, k) => (k < 10 ? 1 : 2 * Math.exp(-0.4 * k)));
    values[15] = 0;
    const f = fitExponentialRate(values, { window: [10, 25] });
    expect(f.window).toEqual([10, 25]);
    expect(f.points).toBe(15);
    expect(Math.abs(f.rate - 0.4)).toBeLessThan(1e-12);
    expect(f.linear).toBe(true);
    // A window across the corner is fitted as asked but reported as not linear.
    expect(fitExponentialRate(values, { window: [0, 29] }).linear).toBe(false);
  });

  it('leaves out a slower warm-up and a noisy floor at 1e-16', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const values = warmupAndFloor(seed, 0.05, 0.15, (r) => 1e-16 * (1 + 0.5 * (r() - 0.5)));
      const f = fitExponentialRate(values);
      expect(Math.abs(f.window[0] - 20), `seed ${seed}: ${f.window}`).toBeLessThanOrEqual(2);
      expect(Math.abs(f.window[1] - 219), `seed ${seed}: ${f.window}`).toBeLessThanOrEqual(2);
      expect(covers(f.ci95, 0.15), `seed ${seed}: ${f.ci95}`).toBe(true);
      expect(f.linear).toBe(true);
      expect(f.r2).toBeGreaterThan(0.999);
    }
  });

  it('leaves out a faster warm-up and a floor of exact zeros', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const values = warmupAndFloor(seed, 1.0, 0.3, () => 0);
      const f = fitExponentialRate(values);
      expect(Math.abs(f.window[0] - 20), `seed ${seed}: ${f.window}`).toBeLessThanOrEqual(2);
      expect(f.window[1]).toBe(219); // the last value > 0
      expect(covers(f.ci95, 0.3), `seed ${seed}: ${f.ci95}`).toBe(true);
    }
  });

  it('leaves out a smooth fast transient and a smooth rounding floor at ~1e-30 relative', () => {
    // values = (e^{-0.25k} + 50 e^{-k}) * noise + 1e-30 * |1 + noise|: the transient is 10 noise sd above
    // the line at k = 8 and below 1 sd from k = 12; the floor lifts it by 1 sd at k = 258 and by 10 sd at k = 270.
    for (let seed = 1; seed <= 3; seed++) {
      const r = rng(seed);
      const values = Array.from(
        { length: 300 },
        (_, k) => (Math.exp(-0.25 * k) + 50 * Math.exp(-k)) * Math.exp(0.01 * gauss(r)) + 1e-30 * Math.abs(1 + 0.3 * gauss(r)),
      );
      const f = fitExponentialRate(values);
      expect(f.window[0], `seed ${seed}: ${f.window}`).toBeGreaterThanOrEqual(8);
      expect(f.window[0], `seed ${seed}: ${f.window}`).toBeLessThanOrEqual(12);
      expect(f.window[1], `seed ${seed}: ${f.window}`).toBeGreaterThanOrEqual(255);
      expect(f.window[1], `seed ${seed}: ${f.window}`).toBeLessThanOrEqual(272);
      expect(Math.abs(f.rate - 0.25)).toBeLessThan(2e-4);
    }
  });

  it('finds a 50-iteration regime in 100000 values (a Newton-like run followed by a long floor)', () => {
    const n = 100_000;
    const r = rng(7);
    const values = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      // warm-up 0..10 at rate 0.02, regime 10..59 at rate 1.2, then a floor ~7 units below the last value
      const y = k <= 10 ? -0.02 * k : -0.2 - 1.2 * (k - 10);
      values[k] = k < 60 ? Math.exp(y + 0.01 * gauss(r)) : Math.exp(-0.2 - 1.2 * 49 - 7) * (1 + 0.5 * r());
    }
    const f = fitExponentialRate(values);
    expect(Math.abs(f.window[0] - 10), `${f.window}`).toBeLessThanOrEqual(2);
    expect(Math.abs(f.window[1] - 59), `${f.window}`).toBeLessThanOrEqual(2);
    expect(covers(f.ci95, 1.2)).toBe(true);
    // Same data in seconds (10 ms per iteration): the same window, the rate per second.
    const g = fitExponentialRate(values, { x: Float64Array.from({ length: n }, (_, k) => 0.01 * k) });
    expect(g.window).toEqual(f.window);
    expect(g.rate).toBeCloseTo(f.rate * 100, 8);
  });

  it('reports linear: false (and still a fit) when nothing decays', () => {
    const f = fitExponentialRate([2, 2, 2, 2, 2, 2]);
    expect(f.rate).toBe(0);
    expect(f.linear).toBe(false);
    expect(f.window).toEqual([0, 5]);
  });

  it('95% intervals cover the true rate in 90-99% of 300 noisy repetitions (auto and given window)', () => {
    const reps = 300;
    let auto = 0;
    let given = 0;
    for (let rep = 0; rep < reps; rep++) {
      const r = rng(1000 + rep);
      const values = Array.from({ length: 60 }, (_, k) => 2 * Math.exp(-0.2 * k + 0.05 * gauss(r)));
      if (covers(fitExponentialRate(values).ci95, 0.2)) auto++;
      if (covers(fitExponentialRate(values, { window: [0, 59] }).ci95, 0.2)) given++;
    }
    expect(auto / reps).toBeGreaterThanOrEqual(0.9);
    expect(auto / reps).toBeLessThanOrEqual(0.99);
    expect(given / reps).toBeGreaterThanOrEqual(0.9);
    expect(given / reps).toBeLessThanOrEqual(0.99);
  });
});

describe('no state shared between calls', () => {
  /** 20000 values: a warm-up to `start` at rate 0.02, `length` values at `rate`, then a floor 7 units lower. */
  function longSeries(seed: number, start: number, length: number, rate: number): Float64Array {
    const r = rng(seed);
    const values = new Float64Array(20_000);
    const end = -0.02 * start - rate * (length - 1);
    for (let k = 0; k < values.length; k++) {
      const y = k <= start ? -0.02 * k : -0.02 * start - rate * (k - start);
      values[k] = k < start + length ? Math.exp(y + 0.01 * gauss(r)) : Math.exp(end - 7) * (1 + 0.5 * r());
    }
    return values;
  }

  it('interleaved long and short fits equal the same fits made each in a fresh module instance', async () => {
    // Pairs of the same length with different data, so that state keyed on the size would show.
    const long = longSeries(11, 10, 50, 1.2);
    const longB = longSeries(12, 3000, 5000, 0.01);
    const longX = Float64Array.from({ length: long.length }, (_, k) => 0.01 * k * k);
    const short = warmupAndFloor(12, 0.05, 0.15, (q) => 1e-16 * (1 + 0.5 * (q() - 0.5)));
    const shortB = warmupAndFloor(13, 1.0, 0.3, () => 0);
    const calls: [string, (m: typeof import('../src/fitting/index.js')) => unknown][] = [
      ['long', (m) => m.fitExponentialRate(long)],
      ['short', (m) => m.fitExponentialRate(short)],
      ['long, other data', (m) => m.fitExponentialRate(longB)],
      ['short, other data', (m) => m.fitExponentialRate(shortB)],
      ['long, x', (m) => m.fitExponentialRate(long, { x: longX })],
      ['short, window', (m) => m.fitExponentialRate(short, { window: [25, 200] })],
      ['power', (m) => m.fitPowerLaw([10, 10, 100, 100, 1000, 1000], [1, 1.1, 0.31, 0.33, 0.1, 0.098], { bootstrap: 50 })],
    ];
    // Separate: every call alone, in a module instance that has run nothing else.
    const separate: unknown[] = [];
    for (const [, call] of calls) {
      vi.resetModules();
      separate.push(call(await import('../src/fitting/index.js')));
    }
    // Interleaved in one more fresh instance: mixed long and short, each series before and after the others.
    vi.resetModules();
    const shared = await import('../src/fitting/index.js');
    for (const k of [2, 0, 1, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0, 1, 0, 3, 2]) {
      const [name, call] = calls[k]!;
      expect(call(shared), name).toEqual(separate[k]);
    }
    // The fits of equal-length series differ (the comparison is not vacuous).
    const rate = (k: number): number => (separate[k] as { rate: number }).rate;
    expect(Math.abs(rate(0) - 1.2)).toBeLessThan(0.05);
    expect(Math.abs(rate(2) - 0.01)).toBeLessThan(1e-4);
    expect(Math.abs(rate(1) - 0.15)).toBeLessThan(0.01);
    expect(Math.abs(rate(3) - 0.3)).toBeLessThan(0.01);
  });
});

describe('fitPowerLaw', () => {
  const widths = Array.from({ length: 9 }, (_, i) => Math.round(10 * 10 ** (i / 2))); // 10 .. 1e5

  it('recovers an exact power law; repeated x values all enter the fit', () => {
    const x = [...widths, ...widths];
    const y = x.map((w) => 2 * w ** -0.48);
    const f = fitPowerLaw(x, y);
    expect(Math.abs(f.exponent + 0.48)).toBeLessThan(1e-12);
    expect(Math.abs(f.prefactor - 2)).toBeLessThan(1e-12);
    expect(Math.abs(f.r2 - 1)).toBeLessThan(1e-12);
    expect(f.points).toBe(18);
    expect(f.resampling).toBe('within-x');
    expect(Math.abs(f.ci95[0] + 0.48)).toBeLessThan(1e-12);
    expect(Math.abs(f.ci95[1] + 0.48)).toBeLessThan(1e-12);
  });

  it('is deterministic for a seed; resamples within x groups or pairs', () => {
    const r = rng(3);
    const x = widths.flatMap((w) => [w, w, w]);
    const y = x.map((w) => w ** -0.5 * Math.exp(0.1 * gauss(r)));
    const a = fitPowerLaw(x, y, { seed: 5, bootstrap: 200 });
    expect(fitPowerLaw(x, y, { seed: 5, bootstrap: 200 })).toEqual(a);
    expect(fitPowerLaw(x, y, { seed: 6, bootstrap: 200 }).ci95).not.toEqual(a.ci95);
    expect(a.resampling).toBe('within-x');
    expect(a.ci95[0]).toBeLessThan(a.exponent);
    expect(a.ci95[1]).toBeGreaterThan(a.exponent);
    const single = fitPowerLaw(widths, widths.map((w) => w ** -0.5 * Math.exp(0.1 * gauss(r))));
    expect(single.resampling).toBe('pairs');
    expect(single.ci95[0]).toBeLessThan(single.ci95[1]);
  });

  it('bootstrap intervals cover the true exponent in 85-99% of 200 repetitions (5 trials per width)', () => {
    const reps = 200;
    let covered = 0;
    for (let rep = 0; rep < reps; rep++) {
      const r = rng(77 + rep);
      const x: number[] = [];
      const y: number[] = [];
      for (const w of widths) {
        for (let t = 0; t < 5; t++) {
          x.push(w);
          y.push(2 * w ** -0.48 * Math.exp(0.2 * gauss(r)));
        }
      }
      if (covers(fitPowerLaw(x, y, { bootstrap: 300, seed: rep }).ci95, -0.48)) covered++;
    }
    expect(covered / reps).toBeGreaterThanOrEqual(0.85);
    expect(covered / reps).toBeLessThanOrEqual(0.99);
  });
});

describe('bad input', () => {
  it('wrong types -> E_ARGUMENT', () => {
    expectCode(() => fitExponentialRate(bad('1,2,3')), 'E_ARGUMENT');
    expectCode(() => fitExponentialRate(bad(null)), 'E_ARGUMENT');
    expectCode(() => fitExponentialRate(bad([1, '0.5', 0.25])), 'E_ARGUMENT', /values\[1\]/);
    expectCode(() => fitExponentialRate([1, 0.5, 0.25], bad(3)), 'E_ARGUMENT');
    expectCode(() => fitExponentialRate([1, 0.5, 0.25], bad({ windw: [0, 2] })), 'E_ARGUMENT', /windw/);
    expectCode(() => fitExponentialRate([1, 0.5, 0.25], bad({ x: 'abc' })), 'E_ARGUMENT');
    expectCode(() => fitPowerLaw(bad(5), [1, 2, 3]), 'E_ARGUMENT');
    expectCode(() => fitPowerLaw([1, 2, 3], bad([1, 2, undefined])), 'E_ARGUMENT', /y\[2\]/);
    expectCode(() => fitPowerLaw([1, 2, 3], [1, 2, 3], bad({ boot: 10 })), 'E_ARGUMENT');
  });

  it('NaN or Infinity -> E_NONFINITE naming the index', () => {
    expectCode(() => fitExponentialRate([1, 0.5, Number.NaN, 0.1]), 'E_NONFINITE', /values\[2\]/);
    expectCode(() => fitExponentialRate([1, 0.5, 0.2, 0.1], { x: [0, 1, Infinity, 3] }), 'E_NONFINITE', /x\[2\]/);
    expectCode(() => fitPowerLaw([1, 2, 3], [1, Number.NaN, 3]), 'E_NONFINITE', /y\[1\]/);
    expectCode(() => fitPowerLaw([1, -Infinity, 3], [1, 2, 3]), 'E_NONFINITE', /x\[1\]/);
  });

  it('too few usable points -> E_ARGUMENT with a hint', () => {
    expectCode(() => fitExponentialRate([1, 0.5]), 'E_ARGUMENT', /at least 3/);
    expectCode(() => fitExponentialRate([1, 0, -1, 0.5, 0]), 'E_ARGUMENT', /no logarithm/);
    expectCode(() => fitExponentialRate([1, 0.5, 0, 0.2, 0.1, 0]), 'E_ARGUMENT', /o\.window/);
    expectCode(() => fitPowerLaw([1, 2], [1, 2]), 'E_ARGUMENT', /at least 3/);
    expectCode(() => fitPowerLaw([4, 4, 4], [1, 2, 3]), 'E_ARGUMENT', /distinct/);
  });

  it('mismatched lengths -> E_SHAPE', () => {
    expectCode(() => fitExponentialRate([1, 0.5, 0.25, 0.125], { x: [0, 1, 2] }), 'E_SHAPE');
    expectCode(() => fitPowerLaw([1, 2, 3], [1, 2, 3, 4]), 'E_SHAPE');
  });

  it('x that decreases -> E_ARGUMENT', () => {
    expectCode(() => fitExponentialRate([1, 0.5, 0.25, 0.125], { x: [0, 2, 1, 3] }), 'E_ARGUMENT', /x\[2\]/);
    expectCode(() => fitExponentialRate([1, 0.5, 0.25], { x: [1, 1, 1] }), 'E_ARGUMENT');
    const x = [0, 1, 1, 1, 2, 3];
    expectCode(() => fitExponentialRate([1, 0.5, 0.4, 0.3, 0.2, 0.1], { x, window: [1, 3] }), 'E_ARGUMENT', /x varies/);
  });

  it('a bad window -> E_ARGUMENT (E_NONFINITE for NaN)', () => {
    const values = Array.from({ length: 10 }, (_, k) => Math.exp(-k));
    expectCode(() => fitExponentialRate(values, bad({ window: [0.5, 5] })), 'E_ARGUMENT');
    expectCode(() => fitExponentialRate(values, { window: [-1, 5] }), 'E_ARGUMENT');
    expectCode(() => fitExponentialRate(values, { window: [2, 10] }), 'E_ARGUMENT');
    expectCode(() => fitExponentialRate(values, { window: [4, 5] }), 'E_ARGUMENT', /last - first >= 2/);
    expectCode(() => fitExponentialRate(values, { window: [6, 2] }), 'E_ARGUMENT');
    expectCode(() => fitExponentialRate(values, bad({ window: [1, 2, 3] })), 'E_ARGUMENT');
    expectCode(() => fitExponentialRate(values, bad({ window: 3 })), 'E_ARGUMENT');
    expectCode(() => fitExponentialRate(values, { window: [Number.NaN, 5] }), 'E_NONFINITE');
    const holes = values.map((v, k) => (k >= 3 && k <= 5 ? 0 : v));
    expectCode(() => fitExponentialRate(holes, { window: [2, 6] }), 'E_ARGUMENT', /at least 3 values > 0/);
  });

  it('x or y <= 0 for the power law -> E_ARGUMENT naming the index', () => {
    expectCode(() => fitPowerLaw([1, 0, 3], [1, 2, 3]), 'E_ARGUMENT', /x\[1\]/);
    expectCode(() => fitPowerLaw([1, 2, 3], [1, 2, -3]), 'E_ARGUMENT', /y\[2\]/);
  });

  it('bad bootstrap or seed -> E_ARGUMENT', () => {
    const x = [1, 2, 3, 4];
    const y = [1, 0.5, 0.33, 0.25];
    expectCode(() => fitPowerLaw(x, y, { bootstrap: 9 }), 'E_ARGUMENT', /bootstrap/);
    expectCode(() => fitPowerLaw(x, y, { bootstrap: 100.5 }), 'E_ARGUMENT', /bootstrap/);
    expectCode(() => fitPowerLaw(x, y, bad({ bootstrap: '100' })), 'E_ARGUMENT', /bootstrap/);
    expectCode(() => fitPowerLaw(x, y, { seed: -1 }), 'E_ARGUMENT', /seed/);
    expectCode(() => fitPowerLaw(x, y, { seed: 0.5 }), 'E_ARGUMENT', /seed/);
  });
});
