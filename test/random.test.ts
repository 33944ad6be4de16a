/**
 * The paper's initialization (docs/MATH.md section 1): w_i ~ N(0, I_d), b_i ~ N(0, 1), c_i ~ U(-1, 1),
 * from a counter-based generator keyed by the seed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TwoLayerNet, getThreads, setThreads } from '../src/index.js';
import { normalCdf, randomDataset } from './helpers.js';

function mean(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

function variance(v: Float64Array): number {
  const m = mean(v);
  let s = 0;
  for (const x of v) s += (x - m) ** 2;
  return s / (v.length - 1);
}

/** Kolmogorov-Smirnov distance sup |F_n - F| against the continuous CDF F. */
function ksDistance(v: Float64Array, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(v).sort();
  const n = sorted.length;
  let d = 0;
  for (let k = 0; k < n; k++) {
    const F = cdf(sorted[k]!);
    d = Math.max(d, (k + 1) / n - F, F - k / n);
  }
  return d;
}

function correlation(a: Float64Array, b: Float64Array): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let k = 0; k < a.length; k++) {
    sab += (a[k]! - ma) * (b[k]! - mb);
    saa += (a[k]! - ma) ** 2;
    sbb += (b[k]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('reproducibility', () => {
  it('the same seed gives identical parameters', () => {
    const a = TwoLayerNet.create({ width: 50, inputDim: 3, seed: 42 });
    const b = TwoLayerNet.create({ width: 50, inputDim: 3, seed: 42, activation: 'sin', beta: 0.9 });
    expect(b.parameters()).toEqual(a.parameters());
  });

  it('different seeds give different parameters (every entry differs)', () => {
    const a = TwoLayerNet.create({ width: 50, inputDim: 3, seed: 42 }).parameters();
    const b = TwoLayerNet.create({ width: 50, inputDim: 3, seed: 43 }).parameters();
    const c = TwoLayerNet.create({ width: 50, inputDim: 3, seed: 42 + 2 ** 32 }).parameters(); // the high word counts too
    for (const other of [b, c]) {
      for (const key of ['W', 'b', 'c'] as const) {
        for (let k = 0; k < a[key].length; k++) expect(other[key][k]).not.toBe(a[key][k]);
      }
    }
  });

  it('seed 0 and large seeds up to 2^53 - 1 are valid', () => {
    for (const seed of [0, 2 ** 53 - 1]) {
      const p = TwoLayerNet.create({ width: 10, inputDim: 2, seed }).parameters();
      expect(p.W.every(Number.isFinite)).toBe(true);
      expect(p.c.every((v) => v > -1 && v < 1)).toBe(true);
    }
  });

  it("a wider network's first neurons equal the narrower network's (same seed)", () => {
    for (const d of [1, 3]) {
      const narrow = TwoLayerNet.create({ width: 7, inputDim: d, seed: 9 }).parameters();
      const wide = TwoLayerNet.create({ width: 1000, inputDim: d, seed: 9 }).parameters();
      expect(wide.W.subarray(0, 7 * d)).toEqual(narrow.W);
      expect(wide.b.subarray(0, 7)).toEqual(narrow.b);
      expect(wide.c.subarray(0, 7)).toEqual(narrow.c);
    }
  });

  describe('thread count', () => {
    const initial = getThreads();
    afterAll(() => setThreads(initial));

    it('setThreads(1) and setThreads(2) give bitwise-identical parameters, loss, gradient and hessian', () => {
      const data = randomDataset(3, 40, 2);
      const run = (threads: number) => {
        setThreads(threads);
        expect(getThreads()).toBe(threads);
        const net = TwoLayerNet.create({ width: 3000, inputDim: 2, seed: 17 });
        const small = TwoLayerNet.create({ width: 30, inputDim: 2, seed: 17 });
        return { p: net.parameters(), loss: net.loss(data), g: net.gradient(data), h: small.hessian(data) };
      };
      const one = run(1);
      const two = run(2);
      expect(two.p).toEqual(one.p);
      expect(two.loss).toBe(one.loss);
      expect(two.g).toEqual(one.g);
      expect(two.h).toEqual(one.h);
    });
  });
});

describe('distribution at width 200000', () => {
  const n = 200000;
  const net = TwoLayerNet.create({ width: n, inputDim: 2, seed: 2024 });
  const { W, b, c } = net.parameters();
  const w0 = W.filter((_, k) => k % 2 === 0);
  const w1 = W.filter((_, k) => k % 2 === 1);
  // 5 standard errors of the sample mean and variance; KS at the 0.1% level (1.95 / sqrt(n)).
  const ks = 1.95 / Math.sqrt(n);

  it.each([
    ['W (first input)', w0],
    ['W (second input)', w1],
    ['b', b],
  ])('%s ~ N(0, 1)', (_name, v) => {
    expect(v.length).toBe(n);
    expect(Math.abs(mean(v))).toBeLessThan(5 * Math.sqrt(1 / n));
    expect(Math.abs(variance(v) - 1)).toBeLessThan(5 * Math.sqrt(2 / n)); // var(s^2) = 2 / n for a normal
    expect(ksDistance(v, normalCdf)).toBeLessThan(ks);
  });

  it('c ~ U(-1, 1)', () => {
    expect(c.every((v) => v > -1 && v < 1)).toBe(true);
    expect(Math.abs(mean(c))).toBeLessThan(5 * Math.sqrt(1 / 3 / n));
    // var(s^2) = (mu_4 - sigma^4) / n = (1/5 - 1/9) / n for U(-1, 1).
    expect(Math.abs(variance(c) - 1 / 3)).toBeLessThan(5 * Math.sqrt((1 / 5 - 1 / 9) / n));
    expect(ksDistance(c, (x) => Math.min(1, Math.max(0, (x + 1) / 2)))).toBeLessThan(ks);
  });

  it('the families are uncorrelated with each other, across inputs and across neighbouring neurons', () => {
    const bound = 5 / Math.sqrt(n);
    expect(Math.abs(correlation(w0, w1))).toBeLessThan(bound);
    expect(Math.abs(correlation(w0, b))).toBeLessThan(bound);
    expect(Math.abs(correlation(b, c))).toBeLessThan(bound);
    expect(Math.abs(correlation(w1, c))).toBeLessThan(bound);
    expect(Math.abs(correlation(b.subarray(1), b.subarray(0, n - 1)))).toBeLessThan(bound);
    expect(Math.abs(correlation(c.subarray(1), c.subarray(0, n - 1)))).toBeLessThan(bound);
    const other = TwoLayerNet.create({ width: n, inputDim: 1, seed: 2025 }).parameters();
    expect(Math.abs(correlation(b, other.b))).toBeLessThan(bound);
  });

  it('the tails are normal: the fraction beyond 3 sigma is 2 (1 - Phi(3)) within 5 standard errors', () => {
    const p = 2 * (1 - normalCdf(3));
    const frac = b.filter((v) => Math.abs(v) > 3).length / n;
    expect(Math.abs(frac - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });
});
