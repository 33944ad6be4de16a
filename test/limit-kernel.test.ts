/**
 * The infinite-width kernels B* and NNTK* = B* (B* + gamma I)^-1 (docs/MATH.md section 5), checked
 * against closed forms (erf, sin) evaluated here, the per-pair Gauss-Hermite rule (every method and
 * activation), an independent trapezoidal integration (every activation), Monte Carlo at large width
 * (N^(2 beta - 1) J J^T / M of random networks) and a direct solve; the cross kernel and test diagonal
 * against blocks of the Gram of the union; bit-identity across thread counts; the Promise versions
 * against the ...Sync twins, with the event loop free while they run.
 */
import { describe, expect, test } from 'vitest';
import { type Activation, ACTIVATIONS, Dataset, getThreads, NntkError, setThreads, TwoLayerNet } from '../src/index.js';
import {
  nntkGramLimit, nntkGramLimitSync, ntkCrossLimit, ntkCrossLimitSync, ntkDiagonalLimit, ntkDiagonalLimitSync, ntkGramLimit, ntkGramLimitSync,
} from '../src/limit.js';
import { type LimitMethodName, native } from '../src/native.js';
import { expectCode, jacobiEigenvalues, maxAbs, normalCdf, relativeError, rng, sigmaRef, uniforms } from './helpers.js';

/** M random points in [-r, r]^d (targets are irrelevant to the kernels). */
function points(seed: number, M: number, d: number, r: number): Dataset {
  const rand = rng(seed);
  return Dataset.create({ x: uniforms(rand, M * d, -r, r), y: new Float64Array(M), inputDim: d });
}

/** a = |x|^2 + 1, b = |x'|^2 + 1, c = x.x' + 1 for rows i, j. */
function moments(data: Dataset, i: number, j: number): { a: number; b: number; c: number } {
  const d = data.inputDim;
  let a = 1;
  let b = 1;
  let c = 1;
  for (let k = 0; k < d; k++) {
    const u = data.x[i * d + k]!;
    const v = data.x[j * d + k]!;
    a += u * u;
    b += v * v;
    c += u * v;
  }
  return { a, b, c };
}

/** B* from the two expectations E[sigma sigma'] = e0, E[sigma' sigma'] = e1 of each pair. */
function gramFrom(data: Dataset, expectations: (a: number, b: number, c: number) => [number, number]): Float64Array {
  const M = data.size;
  const B = new Float64Array(M * M);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      const { a, b, c } = moments(data, i, j);
      const [e0, e1] = expectations(a, b, c);
      B[i * M + j] = (e0 + (c / 3) * e1) / M;
    }
  }
  return B;
}

// Closed forms of the Gaussian expectations (MATH.md section 5 with Var z = a, Var z' = b, Cov = c).
const closedForms: Partial<Record<Activation, (a: number, b: number, c: number) => [number, number]>> = {
  // E[erf z erf z'] = (2/pi) asin(2c / sqrt((1+2a)(1+2b))); E[erf' z erf' z'] = (4/pi) / sqrt((1+2a)(1+2b) - 4c^2).
  erf: (a, b, c) => {
    const q = (1 + 2 * a) * (1 + 2 * b);
    return [(2 / Math.PI) * Math.asin((2 * c) / Math.sqrt(q)), 4 / Math.PI / Math.sqrt(q - 4 * c * c)];
  },
  // E[sin z sin z'] = e^{-(a+b)/2} sinh c; E[cos z cos z'] = e^{-(a+b)/2} cosh c.
  sin: (a, b, c) => {
    const g = Math.exp(-(a + b) / 2);
    return [g * Math.sinh(c), g * Math.cosh(c)];
  },
};

// First derivatives written from the definitions (helpers.ts has the activations themselves).
const sigmaPrime: Record<Activation, (z: number) => number> = {
  tanh: (z) => 1 - Math.tanh(z) ** 2,
  sigmoid: (z) => sigmaRef.sigmoid(z) * (1 - sigmaRef.sigmoid(z)),
  softplus: (z) => sigmaRef.sigmoid(z),
  sin: (z) => Math.cos(z),
  erf: (z) => (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z),
  gelu: (z) => normalCdf(z) + (z * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI),
  silu: (z) => sigmaRef.sigmoid(z) * (1 + z * (1 - sigmaRef.sigmoid(z))),
};

/**
 * The two expectations by the trapezoidal rule on (u, v) in [-L, L]^2, z = sqrt(a) u,
 * z' = (c / sqrt(a)) u + sqrt(b - c^2/a) v: an independent method that converges geometrically for
 * integrands analytic in a strip (error ~ exp(-2 pi tau / h), with tau >= pi / (2 sqrt(max(a, b)))
 * for tanh), and whose truncation error is ~ exp(-L^2 / 2).
 */
function trapezoid(act: Activation, h: number, L: number) {
  const n = Math.round(L / h);
  const nodes = Float64Array.from({ length: 2 * n + 1 }, (_, k) => (k - n) * h);
  const weights = nodes.map((u) => (h * Math.exp(-0.5 * u * u)) / Math.sqrt(2 * Math.PI));
  return (a: number, b: number, c: number): [number, number] => {
    const ra = Math.sqrt(a);
    const r = c / ra;
    const s = Math.sqrt(Math.max(b - (c * c) / a, 0));
    let e0 = 0;
    let e1 = 0;
    for (let k = 0; k < nodes.length; k++) {
      const z = ra * nodes[k]!;
      let inner0 = 0;
      let inner1 = 0;
      for (let l = 0; l < nodes.length; l++) {
        const zp = r * nodes[k]! + s * nodes[l]!;
        inner0 += weights[l]! * sigmaRef[act](zp);
        inner1 += weights[l]! * sigmaPrime[act](zp);
      }
      e0 += weights[k]! * sigmaRef[act](z) * inner0;
      e1 += weights[k]! * sigmaPrime[act](z) * inner1;
    }
    return [e0, e1];
  };
}

function isSymmetric(A: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (A[i * n + j] !== A[j * n + i]) return false;
  return true;
}

/** X = A^-1 R for A n x n and R n x m (row-major) by Gaussian elimination with partial pivoting. */
function solve(Ain: Float64Array, Rin: Float64Array, n: number, m: number): Float64Array {
  const A = Float64Array.from(Ain);
  const X = Float64Array.from(Rin);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(A[r * n + col]!) > Math.abs(A[pivot * n + col]!)) pivot = r;
    for (let k = 0; k < n; k++) [A[col * n + k], A[pivot * n + k]] = [A[pivot * n + k]!, A[col * n + k]!];
    for (let k = 0; k < m; k++) [X[col * m + k], X[pivot * m + k]] = [X[pivot * m + k]!, X[col * m + k]!];
    for (let r = col + 1; r < n; r++) {
      const f = A[r * n + col]! / A[col * n + col]!;
      for (let k = col; k < n; k++) A[r * n + k] = A[r * n + k]! - f * A[col * n + k]!;
      for (let k = 0; k < m; k++) X[r * m + k] = X[r * m + k]! - f * X[col * m + k]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    for (let k = 0; k < m; k++) {
      let s = X[r * m + k]!;
      for (let c = r + 1; c < n; c++) s -= A[r * n + c]! * X[c * m + k]!;
      X[r * m + k] = s / A[r * n + r]!;
    }
  }
  return X;
}

describe('ntkGramLimitSync', () => {
  test.each([
    ['erf', 1],
    ['erf', 3],
    ['sin', 1],
    ['sin', 3],
  ] as const)('matches the closed form for %s, inputDim %i, to 1e-12 of max |B*|', (act, d) => {
    // |x| up to ~3: [-3, 3] in one dimension, [-1.7, 1.7]^3 in three.
    for (const [seed, r] of [
      [11, 1],
      [12, d === 1 ? 3 : 1.7],
    ] as const) {
      const data = points(seed, 12, d, r);
      const B = ntkGramLimitSync(data, { activation: act });
      expect(B.length).toBe(144);
      expect(isSymmetric(B, 12)).toBe(true);
      const expected = gramFrom(data, closedForms[act]!);
      expect(relativeError(B, expected)).toBeLessThan(1e-14);
      // The quadratures, independent of the formulas: the per-pair rule, and for d = 1 the shared grid.
      const methods: LimitMethodName[] = d === 1 ? ['pair-quadrature', 'grid'] : ['pair-quadrature'];
      for (const method of methods) {
        expect(relativeError(native().ntkGramLimitSync(data.x, 12, d, act, method), expected)).toBeLessThan(1e-12);
      }
    }
  });

  test.each(ACTIVATIONS.map((a) => [a]))('matches an independent trapezoidal integration for %s', (act) => {
    // |x| <= sqrt(3) * 0.9: the trapezoid with h = 0.1, L = 9 is then exact to ~1e-16.
    const data = points(21, 4, 3, 0.9);
    const B = ntkGramLimitSync(data, { activation: act });
    expect(relativeError(B, gramFrom(data, trapezoid(act, 0.1, 9)))).toBeLessThan(1e-12);
  });

  test('the default activation is tanh, and the 1/M factor is there', () => {
    const data = points(31, 5, 2, 1);
    const B = ntkGramLimitSync(data);
    expect(Array.from(B)).toEqual(Array.from(ntkGramLimitSync(data, { activation: 'tanh' })));
    // Duplicating every point halves each entry (1/M with M doubled) and repeats the blocks.
    const twice = Dataset.create({ x: Float64Array.from([...data.x, ...data.x]), y: new Float64Array(10), inputDim: 2 });
    const B2 = ntkGramLimitSync(twice);
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 10; j++) {
        expect(B2[i * 10 + j]! * 2).toBeCloseTo(B[(i % 5) * 5 + (j % 5)]!, 14);
      }
    }
  });

  test('is continuous at coincident points and positive semidefinite', () => {
    const data = Dataset.create({ x: [0.3, -0.2, 0.3 + 1e-9, -0.2, 1.1, 0.4], y: [0, 0, 0], inputDim: 2 });
    const B = ntkGramLimitSync(data);
    expect(Math.abs(B[1]! - B[0]!)).toBeLessThan(1e-9 * B[0]!);
    expect(Math.abs(B[4]! - B[0]!)).toBeLessThan(1e-9 * B[0]!);
    const wide = ntkGramLimitSync(points(41, 20, 1, 1));
    expect(jacobiEigenvalues(wide, 20)[0]!).toBeGreaterThan(-1e-14 * maxAbs(wide));
  });

  test('does not depend on the thread count (setThreads 1, 2, 3)', () => {
    // inputDim 2 (the per-pair rule), inputDim 1 (the shared grid: 300 points span three 128-row tiles,
    // and [-7, 7] needs dozens of node chunks), and a closed form.
    const cases: [Dataset, Activation][] = [
      [points(71, 33, 2, 2), 'silu'],
      [points(72, 300, 1, 7), 'tanh'],
      [points(73, 150, 1, 5), 'softplus'],
      [points(74, 40, 3, 2), 'gelu'],
    ];
    const test = Float64Array.from({ length: 12 }, (_, k) => -6 + k);
    const before = getThreads();
    try {
      const run = (data: Dataset, activation: Activation) => {
        const t = test.subarray(0, data.inputDim * Math.floor(test.length / data.inputDim));
        return [ntkGramLimitSync(data, { activation }), ntkCrossLimitSync(data, t, { activation }), ntkDiagonalLimitSync(data, t, { activation })];
      };
      for (const [data, activation] of cases) {
        setThreads(1);
        const one = run(data, activation);
        for (const threads of [2, 3]) {
          setThreads(threads);
          const other = run(data, activation);
          for (let k = 0; k < one.length; k++) expect(Array.from(other[k]!)).toEqual(Array.from(one[k]!));
        }
      }
    } finally {
      setThreads(before);
    }
  });

  test.each(ACTIVATIONS.map((a) => [a]))(
    'the shared grid and the closed forms match the per-pair rule for %s on [-7, 7] to 1e-12 of max |B*|',
    (activation) => {
      // 13 equispaced points including both ends, where the rules are hardest.
      const M = 13;
      const x = Float64Array.from({ length: M }, (_, m) => -7 + (14 * m) / (M - 1));
      const reference = native().ntkGramLimitSync(x, M, 1, activation, 'pair-quadrature');
      const grid = native().ntkGramLimitSync(x, M, 1, activation, 'grid');
      expect(isSymmetric(grid, M)).toBe(true);
      expect(relativeError(grid, reference)).toBeLessThan(1e-12);
      const auto = ntkGramLimitSync(Dataset.create({ x, y: new Float64Array(M) }), { activation });
      expect(relativeError(auto, reference)).toBeLessThan(1e-12);
      if (activation === 'erf' || activation === 'sin' || activation === 'gelu') {
        expect(Array.from(auto)).toEqual(Array.from(native().ntkGramLimitSync(x, M, 1, activation, 'closed-form')));
      } else {
        expect(Array.from(auto)).toEqual(Array.from(grid));
      }
    },
  );

  test('the grid converges past the per-pair rule\'s range: tanh at |x| <= 20 with half the w spacing', () => {
    // One extra point at |x| = 40 halves the w spacing; the common entries must not move (times 10/9 for 1/M).
    const x = Float64Array.from({ length: 9 }, (_, m) => -20 + 5 * m);
    const B = native().ntkGramLimitSync(x, 9, 1, 'tanh', 'grid');
    const far = Float64Array.from([...x, 40]);
    const F = native().ntkGramLimitSync(far, 10, 1, 'tanh', 'grid');
    const block = new Float64Array(81);
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) block[i * 9 + j] = (F[i * 10 + j]! * 10) / 9;
    expect(relativeError(B, block)).toBeLessThan(1e-12);
  });

  test.each(['tanh', 'erf', 'softplus', 'sin', 'gelu'] as const)(
    'is the large-width limit of N^(2 beta - 1) J J^T / M for %s (Monte Carlo)',
    (activation) => {
      const M = 6;
      const x = Float64Array.from({ length: M }, (_, m) => -1.5 + (3 * m) / (M - 1));
      const data = Dataset.create({ x, y: new Float64Array(M), inputDim: 1 });
      const Bstar = ntkGramLimitSync(data, { activation });
      const error = (width: number, seed: number): number => {
        const net = TwoLayerNet.create({ width, inputDim: 1, seed, activation });
        const J = net.jacobian(data);
        const P = net.parameterCount;
        const scale = width ** (2 * net.beta - 1) / M;
        let num = 0;
        let den = 0;
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < M; j++) {
            let s = 0;
            for (let p = 0; p < P; p++) s += J[i * P + p]! * J[j * P + p]!;
            num += (scale * s - Bstar[i * M + j]!) ** 2;
            den += Bstar[i * M + j]! ** 2;
          }
        }
        return Math.sqrt(num / den);
      };
      // The relative Frobenius error has standard deviation ~ N^-1/2: measured 1e-3 - 5e-3 at N = 2e5
      // and about 3x that at N = 2e4 (every activation, seeds 1-4). The generator is counter-based, so
      // these numbers are the same on every run.
      const seeds = [1, 2, 3];
      const large = seeds.map((s) => error(200000, s));
      const small = seeds.map((s) => error(20000, s));
      for (const e of large) expect(e).toBeLessThan(1.5e-2);
      const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
      expect(mean(small)).toBeGreaterThan(1.5 * mean(large));
    },
  );
});

/** Rows [r0, r0 + nr) x columns [c0, c0 + nc) of an n x n row-major matrix, times a factor. */
function block(A: Float64Array, n: number, r0: number, nr: number, c0: number, nc: number, factor: number): Float64Array {
  const out = new Float64Array(nr * nc);
  for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) out[i * nc + j] = A[(r0 + i) * n + c0 + j]! * factor;
  return out;
}

describe('ntkCrossLimitSync and ntkDiagonalLimitSync', () => {
  // d = 1: the shared grid (tanh, silu) or a closed form (erf); d = 2: the per-pair rule (tanh) or a closed form (gelu).
  test.each([
    ['tanh', 1, 7],
    ['silu', 1, 7],
    ['erf', 1, 7],
    ['tanh', 2, 3],
    ['gelu', 3, 2],
  ] as const)('are the blocks of the Gram of the union times M_union / M_train: %s, inputDim %i, |x| <= %s', (activation, d, r) => {
    const train = points(101, 10, d, r);
    const testPoints = points(102, 7, d, r);
    // A test point equal to a training point, where the per-pair rule takes its degenerate branch.
    testPoints.x.set(train.x.subarray(0, d), 0);
    const M = train.size;
    const Mt = testPoints.size;
    const union = Dataset.create({ x: Float64Array.from([...train.x, ...testPoints.x]), y: new Float64Array(M + Mt), inputDim: d });
    const U = ntkGramLimitSync(union, { activation });
    const factor = (M + Mt) / M;
    const K = ntkCrossLimitSync(train, testPoints.x, { activation });
    expect(K.length).toBe(Mt * M);
    expect(relativeError(K, block(U, M + Mt, M, Mt, 0, M, factor))).toBeLessThan(1e-13);
    const diag = ntkDiagonalLimitSync(train, testPoints.x, { activation });
    const expected = Float64Array.from({ length: Mt }, (_, t) => U[(M + t) * (M + Mt) + M + t]! * factor);
    // The diagonal's rule is sized by the test points alone (the union's by all points): they agree to
    // the quadrature's accuracy, exactly for the closed forms.
    expect(relativeError(diag, expected)).toBeLessThan(activation === 'erf' || activation === 'gelu' ? 1e-15 : 1e-12);
    // The cross kernel against the training set itself is its Gram.
    expect(relativeError(ntkCrossLimitSync(train, train.x, { activation }), ntkGramLimitSync(train, { activation }))).toBeLessThan(1e-13);
  });

  test('the default activation is tanh; no test points give empty results', async () => {
    const train = points(103, 5, 1, 2);
    const t = Float64Array.from([0.3, -1.2]);
    expect(Array.from(ntkCrossLimitSync(train, t))).toEqual(Array.from(ntkCrossLimitSync(train, t, { activation: 'tanh' })));
    expect(Array.from(ntkDiagonalLimitSync(train, t))).toEqual(Array.from(ntkDiagonalLimitSync(train, t, { activation: 'tanh' })));
    expect(ntkCrossLimitSync(train, new Float64Array(0)).length).toBe(0);
    expect(ntkDiagonalLimitSync(train, new Float64Array(0)).length).toBe(0);
    expect((await ntkCrossLimit(train, new Float64Array(0))).length).toBe(0);
  });

  test('resolve (Promise versions) to exactly the ...Sync results, computed on copies', async () => {
    const train = points(104, 20, 1, 4);
    const t = Float64Array.from({ length: 9 }, (_, k) => -4 + k);
    const K = ntkCrossLimitSync(train, t, { activation: 'softplus' });
    const D = ntkDiagonalLimitSync(train, t, { activation: 'softplus' });
    const copy = Float64Array.from(t);
    const pending = Promise.all([ntkCrossLimit(train, copy, { activation: 'softplus' }), ntkDiagonalLimit(train, copy, { activation: 'softplus' })]);
    copy.fill(0);
    const [k, dg] = await pending;
    expect(Array.from(k!)).toEqual(Array.from(K));
    expect(Array.from(dg!)).toEqual(Array.from(D));
  });

  test('reject bad arguments with E_ARGUMENT, E_SHAPE, E_NONFINITE and E_TOO_LARGE', async () => {
    const train = points(105, 4, 2, 1);
    for (const fn of [ntkCrossLimitSync, ntkDiagonalLimitSync]) {
      expectCode(() => fn(train, ['1', 2] as unknown as Float64Array), 'E_ARGUMENT');
      expectCode(() => fn(train, new Float32Array(2) as unknown as Float64Array), 'E_ARGUMENT');
      // An array of numbers is read as the Float64Array of the same values.
      expect(Array.from(fn(train, [0.25, -0.5]))).toEqual(Array.from(fn(train, Float64Array.of(0.25, -0.5))));
      const e = expectCode(() => fn(train, new Float64Array(3)), 'E_SHAPE');
      expect(e.message).toMatch(/inputDim = 2/);
      expectCode(() => fn(train, Float64Array.from([1, Number.NaN])), 'E_NONFINITE');
      expectCode(() => fn(train, Float64Array.from([1, Number.POSITIVE_INFINITY])), 'E_NONFINITE');
      expectCode(() => fn(null as unknown as Dataset, new Float64Array(2)), 'E_ARGUMENT');
      expectCode(() => fn(train, new Float64Array(2), 3 as unknown as object), 'E_ARGUMENT');
      expectCode(() => fn(train, new Float64Array(2), { activation: 'relu' as Activation }), 'E_ARGUMENT');
      expectCode(() => fn(train, new Float64Array(2), { gamma: 1 } as unknown as object), 'E_ARGUMENT');
    }
    // 2^27 test rows x 4 training points would be 4 GiB: refused before anything is allocated.
    const big = points(106, 64, 1, 1);
    expectCode(() => ntkCrossLimitSync(big, new Float64Array(2 ** 23 + 8)), 'E_TOO_LARGE');
    expect(await rejectionCode(ntkCrossLimit(train, new Float64Array(3)))).toBe('E_SHAPE');
    expect(await rejectionCode(ntkDiagonalLimit(train, Float64Array.from([Number.NaN, 0])))).toBe('E_NONFINITE');
  });

  test('the raw addon guards its own arguments', () => {
    const addon = native();
    for (const sync of [true, false]) {
      const cross = sync ? addon.ntkCrossLimitSync : addon.ntkCrossLimit;
      const diag = sync ? addon.ntkDiagonalLimitSync : addon.ntkDiagonalLimit;
      const gram = sync ? addon.ntkGramLimitSync : addon.ntkGramLimit;
      expectCode(() => cross(new Float64Array(3), 2, new Float64Array(2), 2, 1, 'tanh'), 'E_SHAPE');
      expectCode(() => cross(new Float64Array(2), 2, new Float64Array(3), 2, 1, 'tanh'), 'E_SHAPE');
      expectCode(() => cross(new Float64Array(2), 0, new Float64Array(2), 2, 1, 'tanh'), 'E_ARGUMENT');
      expectCode(() => cross([1, 2] as unknown as Float64Array, 2, new Float64Array(2), 2, 1, 'tanh'), 'E_ARGUMENT');
      expectCode(() => cross(new Float64Array(2), 2, new Float64Array(2), 2, 1, 'relu' as Activation), 'E_ARGUMENT');
      expectCode(() => diag(new Float64Array(3), 2, 1, 5, 'tanh'), 'E_SHAPE');
      expectCode(() => diag(new Float64Array(2), 2, 1, 0, 'tanh'), 'E_ARGUMENT');
      expectCode(() => diag(new Float64Array(2), 2, 1, 1.5, 'tanh'), 'E_ARGUMENT');
      // The method: unknown, no closed form, a grid for inputDim 2.
      expectCode(() => gram(new Float64Array(2), 2, 1, 'tanh', 'fast' as LimitMethodName), 'E_ARGUMENT');
      expectCode(() => gram(new Float64Array(2), 2, 1, 'tanh', 'closed-form'), 'E_ARGUMENT');
      expectCode(() => gram(new Float64Array(4), 2, 2, 'tanh', 'grid'), 'E_ARGUMENT');
      expectCode(() => gram(new Float64Array(2), 2, 1, 'tanh', 3 as unknown as LimitMethodName), 'E_ARGUMENT');
      expectCode(() => diag(new Float64Array(2), 2, 1, 2, 'silu', 'closed-form'), 'E_ARGUMENT');
    }
  });
});

describe('nntkGramLimitSync', () => {
  test.each([
    ['tanh', 1e-1],
    ['tanh', 1e-3],
    ['gelu', 1e-2],
  ] as const)('equals B* (B* + gamma I)^-1 for %s, gamma = %s; symmetric with eigenvalues in (0, 1)', (activation, gamma) => {
    const M = 8;
    const data = points(51, M, 2, 1);
    const B = ntkGramLimitSync(data, { activation });
    const K = nntkGramLimitSync(data, { activation, gamma });
    expect(isSymmetric(K, M)).toBe(true);
    const A = Float64Array.from(B);
    for (let k = 0; k < M; k++) A[k * M + k] = A[k * M + k]! + gamma;
    // (B + gamma I)^-1 B = B (B + gamma I)^-1: the two commute.
    expect(relativeError(K, solve(A, B, M, M))).toBeLessThan(1e-10);
    const mu = jacobiEigenvalues(K, M);
    for (const v of mu) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1);
    }
    // Eigenvalues mu / (mu + gamma) of the eigenvalues mu of B* (MATH.md section 5).
    const expected = jacobiEigenvalues(B, M).map((m) => m / (m + gamma));
    for (let k = 0; k < M; k++) expect(Math.abs(mu[k]! - expected[k]!)).toBeLessThan(1e-10);
  });

  test('gamma = 0 gives the identity when B* is positive definite, E_SINGULAR when it is not', () => {
    const data = Dataset.create({ x: [-1, 0, 1], y: [0, 0, 0] });
    const K = nntkGramLimitSync(data, { gamma: 0 });
    expect(relativeError(K, Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]))).toBeLessThan(1e-10);
    const repeated = Dataset.create({ x: [0.5, 0.5, 1], y: [0, 0, 0] });
    const e = expectCode(() => nntkGramLimitSync(repeated, { gamma: 0 }), 'E_SINGULAR');
    expect(e.message).toMatch(/gamma > 0/);
    expect(nntkGramLimitSync(repeated, { gamma: 1e-3 }).every(Number.isFinite)).toBe(true);
  });
});

describe('argument checks', () => {
  const data = points(61, 3, 1, 1);

  test('ntkGramLimit rejects bad arguments', () => {
    expectCode(() => ntkGramLimitSync(null as unknown as Dataset), 'E_ARGUMENT');
    expectCode(() => ntkGramLimitSync({ x: [1], y: [1] } as unknown as Dataset), 'E_ARGUMENT');
    expectCode(() => ntkGramLimitSync(data, 5 as unknown as object), 'E_ARGUMENT');
    expectCode(() => ntkGramLimitSync(data, { activation: 'relu' as Activation }), 'E_ARGUMENT');
    expectCode(() => ntkGramLimitSync(data, { activation: 3 as unknown as Activation }), 'E_ARGUMENT');
    const e = expectCode(() => ntkGramLimitSync(data, { actvation: 'tanh' } as unknown as object), 'E_ARGUMENT');
    expect(e.message).toMatch(/unknown option 'actvation'/);
  });

  test('nntkGramLimit rejects bad arguments', () => {
    expectCode(() => nntkGramLimitSync(data, { gamma: Number.NaN }), 'E_NONFINITE');
    expectCode(() => nntkGramLimitSync(data, { gamma: Number.POSITIVE_INFINITY }), 'E_NONFINITE');
    expectCode(() => nntkGramLimitSync(data, { gamma: -1e-3 }), 'E_ARGUMENT');
    expectCode(() => nntkGramLimitSync(data, { gamma: '0.1' as unknown as number }), 'E_ARGUMENT');
    expectCode(() => nntkGramLimitSync(data, {} as { gamma: number }), 'E_ARGUMENT');
    expectCode(() => nntkGramLimitSync(data, undefined as unknown as { gamma: number }), 'E_ARGUMENT');
    expectCode(() => nntkGramLimitSync(data, { gamma: 0.1, lambda: 1 } as unknown as { gamma: number }), 'E_ARGUMENT');
    expectCode(() => nntkGramLimitSync(data, { gamma: 0.1, activation: 'relu' as Activation }), 'E_ARGUMENT');
    expectCode(() => nntkGramLimitSync([] as unknown as Dataset, { gamma: 0.1 }), 'E_ARGUMENT');
  });

  test('the raw addon guards its own arguments', () => {
    const addon = native();
    // Both twins check synchronously, before any work is queued.
    for (const sync of [true, false]) {
      const ntk = sync ? addon.ntkGramLimitSync : addon.ntkGramLimit;
      const nntk = sync ? addon.nntkGramLimitSync : addon.nntkGramLimit;
      expectCode(() => ntk(new Float64Array(3), 2, 1, 'tanh'), 'E_SHAPE');
      expectCode(() => ntk(new Float64Array(2), 2, 1, 'relu' as Activation), 'E_ARGUMENT');
      expectCode(() => ntk([1, 2] as unknown as Float64Array, 2, 1, 'tanh'), 'E_ARGUMENT');
      expectCode(() => nntk(new Float64Array(2), 2, 1, 'tanh', -1), 'E_ARGUMENT');
      expectCode(() => nntk(new Float64Array(2), 0, 1, 'tanh', 1), 'E_ARGUMENT');
    }
  });
});

/** The code of the NntkError a promise rejects with. */
async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(NntkError);
    return (e as NntkError).code;
  }
  throw new Error('the promise resolved');
}

describe('ntkGramLimit and nntkGramLimit (Promises)', () => {
  test('resolve to exactly the ...Sync results, also when several run at once', async () => {
    const data = points(81, 24, 2, 2);
    const B = ntkGramLimitSync(data, { activation: 'gelu' });
    const K = nntkGramLimitSync(data, { activation: 'gelu', gamma: 1e-2 });
    const [b1, k1, b2, k2] = await Promise.all([
      ntkGramLimit(data, { activation: 'gelu' }),
      nntkGramLimit(data, { activation: 'gelu', gamma: 1e-2 }),
      ntkGramLimit(data, { activation: 'gelu' }),
      nntkGramLimit(data, { activation: 'gelu', gamma: 1e-2 }),
    ]);
    for (const b of [b1!, b2!]) expect(Array.from(b)).toEqual(Array.from(B));
    for (const k of [k1!, k2!]) expect(Array.from(k)).toEqual(Array.from(K));
    expect(Array.from(K)).not.toEqual(Array.from(B));
  });

  test('leave the event loop free while a slow kernel is computed (the per-pair rule, ~0.3 s)', async () => {
    const data = points(83, 64, 2, 2.5);
    let ticks = 0;
    let settled = false;
    const timer = setInterval(() => {
      if (!settled) ticks++;
    }, 5);
    let B: Float64Array;
    try {
      const promise = ntkGramLimit(data);
      expect(ticks).toBe(0); // the call returned before any timer could run
      B = await promise;
      settled = true;
    } finally {
      clearInterval(timer);
    }
    // A blocked loop lets the timer fire at most once, after the work has ended.
    expect(ticks).toBeGreaterThanOrEqual(2);
    expect(Array.from(B)).toEqual(Array.from(ntkGramLimitSync(data)));
  });

  test('work on a copy of x: overwriting it right after the call changes nothing', async () => {
    const data = points(91, 10, 1, 2);
    const x = Float64Array.from(data.x);
    const addon = native();
    const pending = addon.nntkGramLimit(x, 10, 1, 'tanh', 1e-3);
    x.fill(0);
    const K = await pending;
    expect(Array.from(K)).toEqual(Array.from(nntkGramLimitSync(data, { gamma: 1e-3 })));
  });

  test('reject with the codes the ...Sync twins throw', async () => {
    const data = points(61, 3, 1, 1);
    expect(await rejectionCode(ntkGramLimit(null as unknown as Dataset))).toBe('E_ARGUMENT');
    expect(await rejectionCode(ntkGramLimit(data, { activation: 'relu' as Activation }))).toBe('E_ARGUMENT');
    expect(await rejectionCode(nntkGramLimit(data, { gamma: Number.NaN }))).toBe('E_NONFINITE');
    expect(await rejectionCode(nntkGramLimit(data, { gamma: -1 }))).toBe('E_ARGUMENT');
    // A failure inside the worker: B* + 0 I singular for a repeated point.
    const repeated = Dataset.create({ x: [0.5, 0.5, 1], y: [0, 0, 0] });
    expect(await rejectionCode(nntkGramLimit(repeated, { gamma: 0 }))).toBe('E_SINGULAR');
  });
});
