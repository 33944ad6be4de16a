/**
 * Independent reference computations for the test suite: the activations written out from their
 * formulas, a high-accuracy erf, finite differences, dense linear algebra and a seeded generator.
 * Nothing here calls into nntk except through the public API (to build perturbed networks).
 */
import { expect } from 'vitest';
import { type Activation, Dataset, NntkError, TwoLayerNet } from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// Seeded pseudo-random numbers (mulberry32), for test inputs only.
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [lo, hi). */
export function uniforms(rand: () => number, n: number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

/** Standard normals by Box-Muller. */
export function normals(rand: () => number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const u = 1 - rand();
    const v = rand();
    out[k] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// erf and the normal distribution, accurate to a few ulps (independent of the C library).

/**
 * erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)) for |x| < 3: every term is
 * positive, so there is no cancellation. For |x| >= 3, erfc by its continued fraction (modified Lentz).
 */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x < 3) return erfSeries(x);
  return 1 - erfcContinuedFraction(x);
}

export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) return 1 - erfSeries(x);
  return erfcContinuedFraction(x);
}

function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}

/** erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))). */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    D = x + a * D;
    D = D === 0 ? tiny : 1 / D;
    C = x + a / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

// ---------------------------------------------------------------------------------------------
// The activations, written from their definitions (docs/MATH.md section 1).
export const sigmaRef: Record<Activation, (z: number) => number> = {
  tanh: (z) => Math.tanh(z),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  softplus: (z) => (z > 30 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))),
  sin: (z) => Math.sin(z),
  erf: (z) => erf(z),
  gelu: (z) => z * normalCdf(z),
  silu: (z) => z / (1 + Math.exp(-z)),
};

// ---------------------------------------------------------------------------------------------
// Parameters in the flat neuron-major order [w_1 (d), b_1, c_1, w_2, ...] (docs/MATH.md section 1).
export interface Params {
  W: Float64Array;
  b: Float64Array;
  c: Float64Array;
}

export function flatten(p: Params, width: number, d: number): Float64Array {
  const q = d + 2;
  const out = new Float64Array(width * q);
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < d; j++) out[i * q + j] = p.W[i * d + j]!;
    out[i * q + d] = p.b[i]!;
    out[i * q + d + 1] = p.c[i]!;
  }
  return out;
}

export function unflatten(flat: Float64Array, width: number, d: number): Params {
  const q = d + 2;
  const W = new Float64Array(width * d);
  const b = new Float64Array(width);
  const c = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < d; j++) W[i * d + j] = flat[i * q + j]!;
    b[i] = flat[i * q + d]!;
    c[i] = flat[i * q + d + 1]!;
  }
  return { W, b, c };
}

/** The same network with flat parameter k shifted by delta. */
export function perturbed(net: TwoLayerNet, k: number, delta: number): TwoLayerNet {
  const flat = flatten(net.parameters(), net.width, net.inputDim);
  flat[k] = flat[k]! + delta;
  return TwoLayerNet.fromParameters({ ...unflatten(flat, net.width, net.inputDim), beta: net.beta, activation: net.activation, outputScale: net.outputScale });
}

/** f(x) = N^-beta sum_i c_i sigma(w_i . x + b_i), evaluated term by term; also returns sum |terms| (for tolerances). */
export function predictRef(p: Params, beta: number, activation: Activation, x: Float64Array, d: number) {
  const width = p.b.length;
  const M = x.length / d;
  const s = width ** -beta;
  const value = new Float64Array(M);
  const magnitude = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let sum = 0;
    let abs = 0;
    for (let i = 0; i < width; i++) {
      let z = p.b[i]!;
      for (let j = 0; j < d; j++) z += p.W[i * d + j]! * x[m * d + j]!;
      const t = p.c[i]! * sigmaRef[activation](z);
      sum += t;
      abs += Math.abs(t);
    }
    value[m] = s * sum;
    magnitude[m] = s * abs;
  }
  return { value, magnitude };
}

// ---------------------------------------------------------------------------------------------
// Fourth-order central differences: f'(0) ~ [f(-2h) - 8 f(-h) + 8 f(h) - f(2h)] / (12 h).
export function centralDifference<T extends number | Float64Array>(f: (delta: number) => T, h: number): T {
  const a = f(-2 * h);
  const b = f(-h);
  const c = f(h);
  const e = f(2 * h);
  if (typeof a === 'number') return ((a - 8 * (b as number) + 8 * (c as number) - (e as number)) / (12 * h)) as T;
  const A = a as Float64Array;
  const B = b as Float64Array;
  const Cc = c as Float64Array;
  const E = e as Float64Array;
  return A.map((v, k) => (v - 8 * B[k]! + 8 * Cc[k]! - E[k]!) / (12 * h)) as T;
}

// ---------------------------------------------------------------------------------------------
// Dense linear algebra on row-major arrays.
export function matVec(A: Float64Array, v: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += A[i * cols + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

/** A^T v for A rows x cols. */
export function matTVec(A: Float64Array, v: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const vi = v[i]!;
    for (let j = 0; j < cols; j++) out[j] = out[j]! + A[i * cols + j]! * vi;
  }
  return out;
}

export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k]! * v[k]!;
  return Math.sqrt(s);
}

export function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < v.length; k++) m = Math.max(m, Math.abs(v[k]!));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

/** max |a - b| / max |b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxAbsDiff(a, b) / Math.max(maxAbs(b), Number.MIN_VALUE);
}

/**
 * All eigenvalues (ascending) of a symmetric n x n matrix by the cyclic Jacobi method: a deliberately
 * simple, independent check of LAPACK's spectra and inertia.
 */
export function jacobiEigenvalues(input: Float64Array, n: number): Float64Array {
  const A = Float64Array.from(input);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = A[i * n + j]! ** 2;
        total += v;
        if (i !== j) off += v;
      }
    }
    if (off <= 1e-30 * total) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const app = A[p * n + p]!;
        const aqq = A[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Float64Array.from({ length: n }, (_, i) => A[i * n + i]!).sort();
}

// ---------------------------------------------------------------------------------------------
/** M random points with x in [-1, 1]^d and y in [-1, 1]. */
export function randomDataset(seed: number, M: number, d: number): Dataset {
  const rand = rng(seed);
  return Dataset.create({ x: uniforms(rand, M * d), y: uniforms(rand, M), inputDim: d });
}

/** Runs fn and returns the NntkError it throws (fails the test if it does not throw one). */
export function caught(fn: () => unknown): NntkError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NntkError);
    return e as NntkError;
  }
  expect.fail('expected an NntkError to be thrown');
}

export function expectCode(fn: () => unknown, code: string): NntkError {
  const e = caught(fn);
  expect(e.code, e.message).toBe(code);
  return e;
}

/**
 * Two step results are the same computation: everything bitwise equal except the timings and
 * LAPACK's condition estimate, which varies in its last bits from run to run even on one thread
 * (observed; the step itself does not).
 */
export function expectSameStep(a: import('../src/index.js').StepResult, b: import('../src/index.js').StepResult): void {
  const { timings: _ta, reciprocalCondition: ra, ...restA } = a;
  const { timings: _tb, reciprocalCondition: rb, ...restB } = b;
  expect(restA).toEqual(restB);
  expect(Math.abs(ra - rb)).toBeLessThanOrEqual(1e-12 * Math.abs(rb));
}

/** x solving A x = b (n x n, row-major) by Gaussian elimination with partial pivoting. */
export function gaussSolve(Ain: Float64Array, bin: Float64Array, n: number): Float64Array {
  const A = Float64Array.from(Ain);
  const b = Float64Array.from(bin);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i * n + k]!) > Math.abs(A[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [A[k * n + j], A[p * n + j]] = [A[p * n + j]!, A[k * n + j]!];
      [b[k], b[p]] = [b[p]!, b[k]!];
    }
    for (let i = k + 1; i < n; i++) {
      const f = A[i * n + k]! / A[k * n + k]!;
      for (let j = k; j < n; j++) A[i * n + j] = A[i * n + j]! - f * A[k * n + j]!;
      b[i] = b[i]! - f * b[k]!;
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < n; j++) s -= A[i * n + j]! * x[j]!;
    x[i] = s / A[i * n + i]!;
  }
  return x;
}
