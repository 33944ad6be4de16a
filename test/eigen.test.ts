/**
 * symmetricEigen (LAPACK DSYEVD in the native core) against closed forms (2 x 2, the second-difference
 * matrix, a matrix built from a known spectrum), against an independent Jacobi iteration, and by
 * reconstruction V diag(w) V^T and orthogonality V^T V = I on real kernels; then its conventions
 * (ascending values, sign of each vector, input untouched) and bad input.
 */
import { describe, expect, it } from 'vitest';
import { datasets, symmetricEigen } from '../src/index.js';
import { ntkGramLimitSync } from '../src/limit.js';
import { native } from '../src/native.js';
import { expectCode, jacobiEigenvalues, maxAbs, normals, rng } from './helpers.js';

/** Frobenius norm of a - b over that of b. */
function frobeniusError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < b.length; k++) {
    num += (a[k]! - b[k]!) ** 2;
    den += b[k]! ** 2;
  }
  return Math.sqrt(num / den);
}

/** V diag(w) V^T (n x n, row-major). */
function reconstruct(values: Float64Array, vectors: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[a * n + k]! * values[k]! * vectors[b * n + k]!;
      out[a * n + b] = s;
    }
  }
  return out;
}

/** max |V^T V - I|. */
function orthogonalityError(vectors: Float64Array, n: number): number {
  let worst = 0;
  for (let k = 0; k < n; k++) {
    for (let l = 0; l < n; l++) {
      let s = 0;
      for (let a = 0; a < n; a++) s += vectors[a * n + k]! * vectors[a * n + l]!;
      worst = Math.max(worst, Math.abs(s - (k === l ? 1 : 0)));
    }
  }
  return worst;
}

/** Column k of a row-major n x n matrix. */
function column(V: Float64Array, n: number, k: number): Float64Array {
  return Float64Array.from({ length: n }, (_, a) => V[a * n + k]!);
}

/** A random symmetric n x n matrix with entries of order 1 (indefinite). */
function randomSymmetric(seed: number, n: number): Float64Array {
  const g = normals(rng(seed), n * n);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = g[i * n + j]!;
  return A;
}

/** Q diag(d) Q^T for Q a product of three seeded Householder reflections (exactly orthogonal up to rounding). */
function withSpectrum(seed: number, d: Float64Array): Float64Array {
  const n = d.length;
  const random = rng(seed);
  let Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let r = 0; r < 3; r++) {
    const v = normals(random, n);
    const vv = v.reduce((s, x) => s + x * x, 0);
    const next = new Float64Array(n * n); // Q (I - 2 v v^T / v^T v)
    for (let i = 0; i < n; i++) {
      let qv = 0;
      for (let k = 0; k < n; k++) qv += Q[i * n + k]! * v[k]!;
      for (let j = 0; j < n; j++) next[i * n + j] = Q[i * n + j]! - (2 * qv * v[j]!) / vv;
    }
    Q = next;
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += Q[i * n + k]! * d[k]! * Q[j * n + k]!;
      A[i * n + j] = A[j * n + i] = s;
    }
  }
  return A;
}

describe('symmetricEigen against closed forms', () => {
  it('2 x 2: [[a, b], [b, c]] has (a + c)/2 -+ sqrt(((a - c)/2)^2 + b^2), eigenvectors along (b, lambda - a)', () => {
    const random = rng(5);
    for (let trial = 0; trial < 50; trial++) {
      const [a, b, c] = normals(random, 3) as unknown as [number, number, number];
      const { values, vectors } = symmetricEigen(new Float64Array([a, b, b, c]), 2);
      const mean = (a + c) / 2;
      const radius = Math.hypot((a - c) / 2, b);
      const scale = Math.abs(mean) + radius;
      expect(Math.abs(values[0]! - (mean - radius))).toBeLessThan(1e-15 * scale);
      expect(Math.abs(values[1]! - (mean + radius))).toBeLessThan(1e-15 * scale);
      for (let k = 0; k < 2; k++) {
        // (b, lambda - a) and (lambda - c, b) both span the eigenvector; take the longer (better conditioned).
        const p: [number, number] = [b, values[k]! - a];
        const q: [number, number] = [values[k]! - c, b];
        const [u0, u1] = Math.hypot(...p) >= Math.hypot(...q) ? p : q;
        const length = Math.hypot(u0, u1);
        const v = column(vectors, 2, k);
        // |cos| of the angle between v and the closed-form direction is 1.
        expect(Math.abs(Math.abs(v[0]! * u0 + v[1]! * u1) / length - 1)).toBeLessThan(1e-14);
      }
    }
  });

  it('the second-difference matrix tridiag(-1, 2, -1): 2 - 2 cos(k pi / (n + 1)), sin(j k pi / (n + 1))', () => {
    const n = 60;
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      A[i * n + i] = 2;
      if (i > 0) A[i * n + i - 1] = A[(i - 1) * n + i] = -1;
    }
    const { values, vectors } = symmetricEigen(A, n);
    for (let k = 1; k <= n; k++) {
      const exact = 2 - 2 * Math.cos((k * Math.PI) / (n + 1));
      expect(Math.abs(values[k - 1]! - exact), `k = ${k}`).toBeLessThan(1e-13 * 4);
      const u = Float64Array.from({ length: n }, (_, j) => Math.sqrt(2 / (n + 1)) * Math.sin(((j + 1) * k * Math.PI) / (n + 1)));
      const v = column(vectors, n, k - 1);
      const sign = Math.sign(u.reduce((s, x, j) => s + x * v[j]!, 0));
      // Eigenvector error ~ eps |A| / gap; the smallest gap here is ~8e-3, hence 1e-12 rather than 1e-13.
      for (let j = 0; j < n; j++) expect(Math.abs(sign * v[j]! - u[j]!)).toBeLessThan(1e-12);
    }
  });

  it('a matrix built as Q diag(d) Q^T gives back d, over 12 orders of magnitude and both signs', () => {
    const n = 40;
    const d = Float64Array.from({ length: n }, (_, k) => (k % 3 === 0 ? -1 : 1) * 10 ** (-(12 * k) / (n - 1)));
    const { values, vectors } = symmetricEigen(withSpectrum(9, d), n);
    const sorted = Float64Array.from(d).sort();
    for (let k = 0; k < n; k++) expect(Math.abs(values[k]! - sorted[k]!)).toBeLessThan(1e-13);
    expect(orthogonalityError(vectors, n)).toBeLessThan(1e-13);
  });

  it('agrees with an independent Jacobi iteration on random indefinite matrices', () => {
    for (const [seed, n] of [[1, 5], [2, 17], [3, 64]] as const) {
      const A = randomSymmetric(seed, n);
      const { values } = symmetricEigen(A, n);
      const reference = jacobiEigenvalues(A, n);
      const scale = maxAbs(reference);
      for (let k = 0; k < n; k++) expect(Math.abs(values[k]! - reference[k]!)).toBeLessThan(1e-13 * scale);
    }
  });
});

describe('symmetricEigen reconstructs its input', () => {
  it('the limit kernel B* of the Figure 3 data (M = 128, eigenvalues from 0.58 down to rounding)', () => {
    const data = datasets.paperFigure3();
    const M = data.size;
    const B = ntkGramLimitSync(data);
    const { values, vectors } = symmetricEigen(B, M);
    expect(frobeniusError(reconstruct(values, vectors, M), B)).toBeLessThan(1e-13);
    expect(orthogonalityError(vectors, M)).toBeLessThan(1e-13);
    // B* is positive semidefinite: its computed eigenvalues are >= 0 up to rounding of its norm.
    expect(values[0]!).toBeGreaterThan(-1e-14 * values[M - 1]!);
  });

  it('random indefinite matrices of several sizes', () => {
    for (const [seed, n] of [[11, 1], [12, 2], [13, 31], [14, 150]] as const) {
      const A = randomSymmetric(seed, n);
      const { values, vectors } = symmetricEigen(A, n);
      expect(frobeniusError(reconstruct(values, vectors, n), A), `n = ${n}`).toBeLessThan(1e-13);
      expect(orthogonalityError(vectors, n), `n = ${n}`).toBeLessThan(1e-13);
    }
  });

  it('repeated eigenvalues: 3 I and a rank-one matrix still give an orthonormal basis', () => {
    const n = 12;
    const I3 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) I3[i * n + i] = 3;
    const e = symmetricEigen(I3, n);
    for (const v of e.values) expect(Math.abs(v - 3)).toBeLessThan(1e-15 * 3);
    expect(orthogonalityError(e.vectors, n)).toBeLessThan(1e-14);
    const u = normals(rng(21), n);
    const R = Float64Array.from({ length: n * n }, (_, k) => u[Math.floor(k / n)]! * u[k % n]!);
    const r = symmetricEigen(R, n);
    const uu = u.reduce((s, x) => s + x * x, 0);
    expect(Math.abs(r.values[n - 1]! - uu)).toBeLessThan(1e-14 * uu);
    for (let k = 0; k < n - 1; k++) expect(Math.abs(r.values[k]!)).toBeLessThan(1e-14 * uu);
    expect(frobeniusError(reconstruct(r.values, r.vectors, n), R)).toBeLessThan(1e-13);
    expect(orthogonalityError(r.vectors, n)).toBeLessThan(1e-13);
  });
});

describe('symmetricEigen conventions', () => {
  it('ascending values; each eigenvector has its largest-magnitude entry positive; the input is untouched', () => {
    const n = 25;
    const A = randomSymmetric(31, n);
    const copy = Float64Array.from(A);
    const { values, vectors } = symmetricEigen(A, n);
    expect(Array.from(A)).toEqual(Array.from(copy));
    expect(values.length).toBe(n);
    expect(vectors.length).toBe(n * n);
    for (let k = 1; k < n; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
    for (let k = 0; k < n; k++) {
      const v = column(vectors, n, k);
      let largest = 0;
      for (let a = 1; a < n; a++) if (Math.abs(v[a]!) > Math.abs(v[largest]!)) largest = a;
      expect(v[largest]!).toBeGreaterThan(0);
    }
    // Deterministic: the same call gives the same bits.
    const again = symmetricEigen(A, n);
    expect(Array.from(again.values)).toEqual(Array.from(values));
    expect(Array.from(again.vectors)).toEqual(Array.from(vectors));
  });

  it('accepts a matrix symmetric up to rounding and decomposes its symmetric part', () => {
    const n = 20;
    const S = randomSymmetric(41, n);
    const A = Float64Array.from(S);
    // One-ulp-level asymmetry, and a cancellation-sized one next to the largest entry.
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[i * n + j] = A[i * n + j]! * (1 + 2 ** -52);
    A[1] = A[n]! + 1e-15 * maxAbs(S);
    const sym = Float64Array.from({ length: n * n }, (_, k) => (A[k]! + A[(k % n) * n + Math.floor(k / n)]!) / 2);
    const { values, vectors } = symmetricEigen(A, n);
    expect(frobeniusError(reconstruct(values, vectors, n), sym)).toBeLessThan(1e-13);
  });
});

describe('symmetricEigen bad input', () => {
  it('n not a positive integer, or not an array of numbers -> E_ARGUMENT; an array of numbers is the Float64Array of its values', () => {
    const A = new Float64Array([2, 1, 1, 3]);
    expectCode(() => symmetricEigen(A, 0), 'E_ARGUMENT');
    expectCode(() => symmetricEigen(A, -2), 'E_ARGUMENT');
    expectCode(() => symmetricEigen(A, 1.5), 'E_ARGUMENT');
    expectCode(() => symmetricEigen(A, Number.NaN), 'E_ARGUMENT');
    expectCode(() => symmetricEigen(A, '2' as never), 'E_ARGUMENT');
    expectCode(() => symmetricEigen(['2', 1, 1, 3] as never, 2), 'E_ARGUMENT');
    expectCode(() => symmetricEigen(new BigInt64Array(4) as never, 2), 'E_ARGUMENT');
    expect(symmetricEigen([2, 1, 1, 3], 2)).toEqual(symmetricEigen(A, 2));
  });

  it('not n x n -> E_SHAPE', () => {
    expectCode(() => symmetricEigen(new Float64Array(4), 3), 'E_SHAPE');
    expectCode(() => symmetricEigen(new Float64Array(6), 2), 'E_SHAPE');
  });

  it('NaN or Infinity -> E_NONFINITE naming the entry', () => {
    const e = expectCode(() => symmetricEigen(new Float64Array([2, Number.NaN, Number.NaN, 3]), 2), 'E_NONFINITE');
    expect(e.message).toMatch(/matrix\[1\]/);
    expectCode(() => symmetricEigen(new Float64Array([Infinity, 0, 0, 1]), 2), 'E_NONFINITE');
  });

  it('not symmetric -> E_ARGUMENT naming the pair', () => {
    const e = expectCode(() => symmetricEigen(new Float64Array([2, 1, 0, 3]), 2), 'E_ARGUMENT');
    expect(e.message).toMatch(/\(1, 0\)/);
    const A = randomSymmetric(51, 10);
    A[3 * 10 + 7] = A[3 * 10 + 7]! + 1e-9;
    expectCode(() => symmetricEigen(A, 10), 'E_ARGUMENT');
  });

  it('the raw addon guards its own arguments', () => {
    const addon = native();
    expectCode(() => addon.symmetricEigen([1] as unknown as Float64Array, 1), 'E_ARGUMENT');
    expectCode(() => addon.symmetricEigen(new Float64Array(4), 0), 'E_ARGUMENT');
    expectCode(() => addon.symmetricEigen(new Float64Array(4), 2.5), 'E_ARGUMENT');
    expectCode(() => addon.symmetricEigen(new Float64Array(5), 2), 'E_SHAPE');
  });
});
