/**
 * newtonStep / newtonStepSync (docs/MATH.md sections 3-4): the step solves (C + lambda I) step = -grad L,
 * with C taken from hessian() and the product written here; the factorization path, the inertia and
 * the spectra are checked against an independent Jacobi eigenvalue routine.
 */
import { describe, expect, it } from 'vitest';
import {
  type Dataset,
  NntkError,
  type Regularization,
  type StepOptions,
  type StepResult,
  TwoLayerNet,
  datasets,
  newtonStep,
  newtonStepSync,
  setThreads,
} from '../src/index.js';
import { expectSameStep, flatten, jacobiEigenvalues, matVec, maxAbs, norm, randomDataset } from './helpers.js';
import * as fixtures from './fixtures/bad-input.js';

interface Case {
  name: string;
  net: TwoLayerNet;
  data: Dataset;
}

const cases: Case[] = [
  { name: 'width 8, d 1, paper Figure 1 data', net: TwoLayerNet.create({ width: 8, inputDim: 1, seed: 3 }), data: datasets.paperFigure1() },
  {
    name: 'width 5, d 3, gelu, random data',
    net: TwoLayerNet.create({ width: 5, inputDim: 3, seed: 4, activation: 'gelu', beta: 0.75 }),
    data: randomDataset(17, 11, 3),
  },
];

/** C + lambda I from the library's hessian(), and the residual |(C + lambda I) s + g| / |g| computed here. */
function systemOf(net: TwoLayerNet, data: Dataset, curvature: 'newton' | 'gauss-newton', lambda: number) {
  const P = net.parameterCount;
  const A = net.hessian(data, { curvature });
  for (let k = 0; k < P; k++) A[k * P + k] = A[k * P + k]! + lambda;
  const g = flatten(net.gradient(data), net.width, net.inputDim);
  return { A, g, P };
}

function relativeResidual(net: TwoLayerNet, data: Dataset, curvature: 'newton' | 'gauss-newton', result: StepResult) {
  const { A, g, P } = systemOf(net, data, curvature, result.lambda);
  const s = flatten(result.step, net.width, net.inputDim);
  const As = matVec(A, s, P, P);
  return norm(As.map((v, k) => v + g[k]!)) / norm(g);
}

function signCounts(values: Float64Array) {
  let positive = 0;
  let negative = 0;
  let zero = 0;
  for (const v of values) (v > 0 ? positive++ : v < 0 ? negative++ : zero++);
  return { positive, negative, zero };
}


describe.each(cases)('$name', ({ net, data }) => {
  const P = net.parameterCount;
  describe.each(['newton', 'gauss-newton'] as const)('curvature %s', (curvature) => {
    it.each<Regularization>([{ gamma: 1e-2 }, { gamma: 0.3 }, { lambda: 0.05 }, { lambda: 1e-3 }])('solves the regularized system for %o', (regularization) => {
      const result = newtonStepSync(net, data, { solver: 'dense', regularization, curvature, spectrum: 'full' });
      const lambda = 'gamma' in regularization ? regularization.gamma * net.width ** (1 - 2 * net.beta) : regularization.lambda;
      expect(Math.abs(result.lambda - lambda)).toBeLessThanOrEqual(1e-15 * lambda);
      expect(result.step.W.length).toBe(net.width * net.inputDim);
      expect(result.step.b.length).toBe(net.width);
      expect(result.step.c.length).toBe(net.width);
      expect(relativeResidual(net, data, curvature, result)).toBeLessThanOrEqual(1e-10);

      // Reported loss and norms.
      const g = flatten(net.gradient(data), net.width, net.inputDim);
      expect(result.loss).toBeCloseTo(net.loss(data), 14);
      expect(result.gradientNorm).toBeCloseTo(norm(g), 13);
      expect(result.stepNorm).toBeCloseTo(norm(flatten(result.step, net.width, net.inputDim)), 12);

      // Spectrum 'full' against the independent Jacobi eigenvalues of hessian() + lambda I.
      const { A } = systemOf(net, data, curvature, result.lambda);
      const reference = jacobiEigenvalues(A, P);
      const eig = result.eigenvalues!;
      expect(eig).toBeInstanceOf(Float64Array);
      expect(eig.length).toBe(P);
      for (let k = 1; k < P; k++) expect(eig[k]!).toBeGreaterThanOrEqual(eig[k - 1]!);
      const radius = maxAbs(reference);
      for (let k = 0; k < P; k++) expect(Math.abs(eig[k]! - reference[k]!)).toBeLessThanOrEqual(1e-10 * radius);
      expect(result.minEigenvalue).toBe(eig[0]);
      expect(result.maxEigenvalue).toBe(eig[P - 1]);

      // Inertia: from the eigenvalues and from Jacobi.
      const { positive, negative, zero } = result.inertia;
      expect(positive + negative + zero).toBe(P);
      expect(result.inertia).toEqual(signCounts(eig));
      expect(result.inertia).toEqual(signCounts(reference));

      // The solver name says which factorization ran; Cholesky only for a positive definite matrix.
      expect(['dense-cholesky', 'dense-ldlt']).toContain(result.solver);
      if (result.solver === 'dense-cholesky') expect(result.inertia).toEqual({ positive: P, negative: 0, zero: 0 });
      if (curvature === 'gauss-newton') expect(result.solver).toBe('dense-cholesky');
    });

    it("spectrum 'extremal' agrees with 'full'; 'inertia' (the default) reports no eigenvalues", () => {
      const regularization = { gamma: 1e-2 };
      const full = newtonStepSync(net, data, { solver: 'dense', regularization, curvature, spectrum: 'full' });
      const extremal = newtonStepSync(net, data, { solver: 'dense', regularization, curvature, spectrum: 'extremal' });
      const radius = Math.max(Math.abs(full.minEigenvalue!), Math.abs(full.maxEigenvalue!));
      expect(Math.abs(extremal.minEigenvalue! - full.minEigenvalue!)).toBeLessThanOrEqual(1e-10 * radius);
      expect(Math.abs(extremal.maxEigenvalue! - full.maxEigenvalue!)).toBeLessThanOrEqual(1e-10 * radius);
      expect(extremal.eigenvalues).toBeUndefined();
      expect(extremal.inertia).toEqual(full.inertia);
      expect(extremal.step).toEqual(full.step);

      const plain = newtonStepSync(net, data, { solver: 'dense', regularization, curvature });
      expect(plain.eigenvalues).toBeUndefined();
      expect(plain.minEigenvalue).toBeUndefined();
      expect(plain.maxEigenvalue).toBeUndefined();
      expect(plain.inertia).toEqual(full.inertia);
      expect(plain.step).toEqual(full.step);
    });
  });

  it('curvature defaults to newton', () => {
    const a = newtonStepSync(net, data, { solver: 'dense', regularization: { gamma: 1e-2 } });
    const b = newtonStepSync(net, data, { solver: 'dense', regularization: { gamma: 1e-2 }, curvature: 'newton' });
    const gn = newtonStepSync(net, data, { solver: 'dense', regularization: { gamma: 1e-2 }, curvature: 'gauss-newton' });
    expect(a.step).toEqual(b.step);
    expect(a.step).not.toEqual(gn.step);
  });

  it("solver 'auto' runs one of the two exact solvers and reports which", () => {
    const o: StepOptions = { regularization: { lambda: 0.02 } };
    const auto = newtonStepSync(net, data, { ...o, solver: 'auto' });
    const same = newtonStepSync(net, data, { ...o, solver: auto.solver.startsWith('dense') ? 'dense' : 'structured' });
    expect(auto.step).toEqual(same.step);
  });

  it('newtonStep (async) resolves to the same result as newtonStepSync', async () => {
    const o: StepOptions = { solver: 'dense', regularization: { gamma: 1e-2 }, spectrum: 'full' };
    const sync = newtonStepSync(net, data, o);
    const promise = newtonStep(net, data, o);
    expect(promise).toBeInstanceOf(Promise);
    const result = await promise;
    expectSameStep(result, sync);
    for (const seconds of Object.values(result.timings)) expect(seconds).toBeGreaterThanOrEqual(0);
  });
});

describe('gamma scaling', () => {
  it('lambda = gamma * N^(1 - 2 beta) for several widths and betas', () => {
    const data = datasets.paperFigure1();
    for (const [width, beta] of [
      [4, 0.52],
      [12, 0.52],
      [12, 0.75],
      [20, 0.5],
      [9, 0.9],
    ] as const) {
      const net = TwoLayerNet.create({ width, inputDim: 1, seed: 1, beta });
      const r = newtonStepSync(net, data, { solver: 'dense', regularization: { gamma: 0.37 }, curvature: 'gauss-newton' });
      const want = 0.37 * Math.exp((1 - 2 * beta) * Math.log(width));
      expect(Math.abs(r.lambda - want)).toBeLessThanOrEqual(1e-15 * want);
      const viaLambda = newtonStepSync(net, data, { solver: 'dense', regularization: { lambda: r.lambda }, curvature: 'gauss-newton' });
      expect(viaLambda.step).toEqual(r.step);
    }
  });
});

describe('factorization paths', () => {
  it("Gauss-Newton with lambda > 0 is positive definite: 'dense-cholesky', inertia (P, 0, 0)", () => {
    const net = TwoLayerNet.create({ width: 30, inputDim: 1, seed: 6 });
    const data = datasets.paperFigure1();
    const r = newtonStepSync(net, data, { solver: 'dense', regularization: { lambda: 1e-4 }, curvature: 'gauss-newton', spectrum: 'full' });
    expect(r.solver).toBe('dense-cholesky');
    expect(r.inertia).toEqual({ positive: 90, negative: 0, zero: 0 });
    // J^T J / M has rank <= M = 16, so 90 - 16 eigenvalues of C + lambda I sit at lambda.
    const atLambda = Array.from(r.eigenvalues!).filter((v) => Math.abs(v - 1e-4) < 1e-12).length;
    expect(atLambda).toBeGreaterThanOrEqual(90 - 16);
    expect(r.minEigenvalue!).toBeCloseTo(1e-4, 12);
    expect(relativeResidual(net, data, 'gauss-newton', r)).toBeLessThanOrEqual(1e-10);
  });

  it("an indefinite Newton system (width 50, Figure 1, gamma 1e-3) takes 'dense-ldlt' with the right inertia", () => {
    const net = TwoLayerNet.create({ width: 50, inputDim: 1, seed: 1 });
    const data = datasets.paperFigure1();
    const r = newtonStepSync(net, data, { solver: 'dense', regularization: { gamma: 1e-3 }, spectrum: 'full' });
    const P = 150;
    expect(r.solver).toBe('dense-ldlt');
    expect(r.inertia.negative).toBeGreaterThan(0);
    expect(r.inertia.positive + r.inertia.negative + r.inertia.zero).toBe(P);
    expect(r.inertia).toEqual(signCounts(r.eigenvalues!));
    expect(r.minEigenvalue!).toBeLessThan(0);
    expect(relativeResidual(net, data, 'newton', r)).toBeLessThanOrEqual(1e-10);

    const { A } = systemOf(net, data, 'newton', r.lambda);
    const reference = jacobiEigenvalues(A, P);
    expect(r.inertia).toEqual(signCounts(reference));
    const radius = maxAbs(reference);
    for (let k = 0; k < P; k++) expect(Math.abs(r.eigenvalues![k]! - reference[k]!)).toBeLessThanOrEqual(1e-10 * radius);

    const extremal = newtonStepSync(net, data, { solver: 'dense', regularization: { gamma: 1e-3 }, spectrum: 'extremal' });
    expect(Math.abs(extremal.minEigenvalue! - r.minEigenvalue!)).toBeLessThanOrEqual(1e-10 * radius);
    expect(Math.abs(extremal.maxEigenvalue! - r.maxEigenvalue!)).toBeLessThanOrEqual(1e-10 * radius);
  });

  it('inertia of small indefinite Newton systems (P <= 40) matches Jacobi, for several seeds and widths', () => {
    const data = datasets.paperFigure1();
    let sawNegative = 0;
    for (const [width, seed] of [
      [3, 1],
      [5, 2],
      [8, 3],
      [10, 4],
      [13, 5],
    ] as const) {
      const net = TwoLayerNet.create({ width, inputDim: 1, seed });
      for (const gamma of [1e-3, 0.1, 0.4, 2]) {
        const r = newtonStepSync(net, data, { solver: 'dense', regularization: { gamma } });
        const { A, P } = systemOf(net, data, 'newton', r.lambda);
        const reference = signCounts(jacobiEigenvalues(A, P));
        expect(r.inertia, `width ${width} seed ${seed} gamma ${gamma}`).toEqual(reference);
        expect(r.solver).toBe(reference.negative > 0 ? 'dense-ldlt' : 'dense-cholesky');
        expect(relativeResidual(net, data, 'newton', r)).toBeLessThanOrEqual(1e-10);
        if (reference.negative > 0) sawNegative++;
      }
    }
    expect(sawNegative).toBeGreaterThan(3);
  });

  it('a large enough gamma makes the Newton system positive definite (Cholesky)', () => {
    const net = TwoLayerNet.create({ width: 50, inputDim: 1, seed: 1 });
    const data = datasets.paperFigure1();
    const r = newtonStepSync(net, data, { solver: 'dense', regularization: { gamma: 2 }, spectrum: 'extremal' });
    expect(r.minEigenvalue!).toBeGreaterThan(0);
    expect(r.solver).toBe('dense-cholesky');
    expect(r.inertia).toEqual({ positive: 150, negative: 0, zero: 0 });
  });
});

describe('singular systems', () => {
  // J^T J / M has rank <= M = 16 < P, so with lambda = 0 the Gauss-Newton system is singular.
  const data = datasets.paperFigure1();
  it.each([6, 20, 50])("Gauss-Newton with lambda 0 at width %i (P > M) gives E_SINGULAR", (width) => {
    const net = TwoLayerNet.create({ width, inputDim: 1, seed: 2 });
    let error: unknown;
    try {
      newtonStepSync(net, data, { solver: 'dense', regularization: { lambda: 0 }, curvature: 'gauss-newton' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NntkError);
    expect((error as NntkError).code).toBe('E_SINGULAR');
    expect((error as NntkError).message).toMatch(/regulari[sz]ation|gamma|lambda/);
  });

  it('the async twin rejects with E_SINGULAR', async () => {
    const net = TwoLayerNet.create({ width: 20, inputDim: 1, seed: 2 });
    await expect(newtonStep(net, data, { solver: 'dense', regularization: { gamma: 0 }, curvature: 'gauss-newton' })).rejects.toMatchObject({
      name: 'NntkError',
      code: 'E_SINGULAR',
    });
  });

  it('the same network with lambda > 0 is solvable', () => {
    const net = TwoLayerNet.create({ width: 20, inputDim: 1, seed: 2 });
    const r = newtonStepSync(net, data, { solver: 'dense', regularization: { lambda: 1e-6 }, curvature: 'gauss-newton' });
    expect(r.solver).toBe('dense-cholesky');
    expect(relativeResidual(net, data, 'gauss-newton', r)).toBeLessThanOrEqual(1e-10);
  });
});

describe('using the step', () => {
  it('withStep(step) moves the parameters by exactly the step, and a damped Gauss-Newton step lowers the loss', () => {
    const net = TwoLayerNet.create({ width: 20, inputDim: 1, seed: 9 });
    const data = datasets.paperFigure1();
    const r = newtonStepSync(net, data, { solver: 'dense', regularization: { gamma: 1e-2 }, curvature: 'gauss-newton' });
    const next = net.withStep(r.step);
    const before = flatten(net.parameters(), 20, 1);
    const after = flatten(next.parameters(), 20, 1);
    const s = flatten(r.step, 20, 1);
    for (let k = 0; k < before.length; k++) expect(after[k]).toBe(before[k]! + s[k]!);
    // A small multiple of a descent direction (g . s < 0 for positive definite C + lambda I) lowers L.
    const g = flatten(net.gradient(data), 20, 1);
    expect(g.reduce((acc, v, k) => acc + v * s[k]!, 0)).toBeLessThan(0);
    expect(net.withStep(r.step, 1e-3).loss(data)).toBeLessThan(net.loss(data));
  });
});

describe('concurrent calls', () => {
  it('a dense step has the same bits whatever structured steps run at the same time', async () => {
    // OpenBLAS's thread count is process-wide; computations run it at one thread (their own threads do
    // the parallel work on fixed tiles), so the bits do not depend on setThreads nor on the structured
    // steps in flight at the same time (native/core/blas_threads.hpp, test/thread-identity.test.ts).
    setThreads(2);
    const data = datasets.paperFigure3();
    const net = TwoLayerNet.create({ width: 200, inputDim: 1, seed: 3 });  // P = 600
    const o: StepOptions = { solver: 'dense', regularization: { gamma: 1e-3 }, curvature: 'gauss-newton' };
    const alone = newtonStepSync(net, data, o);
    expect(alone.solver).toBe('dense-cholesky');
    setThreads(1);
    const oneThread = newtonStepSync(net, data, o);
    setThreads(2);
    expect(sameBits(oneThread.step, alone.step)).toBe(true);
    const structuredNets = [1, 2].map((seed) => TwoLayerNet.create({ width: 1500, inputDim: 1, seed }));
    const so: StepOptions = { solver: 'structured', regularization: { gamma: 1e-3 } };
    let mismatches = 0;
    for (let round = 0; round < 12; round++) {
      const dense = [newtonStep(net, data, o), newtonStep(net, data, o)];
      const structured = structuredNets.map((n) => newtonStep(n, data, so));
      const results = await Promise.all([...dense, ...structured]);
      for (const r of results.slice(0, 2)) {
        if (!sameBits(r.step, alone.step)) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

});

function sameBits(a: StepResult['step'], b: StepResult['step']): boolean {
  for (const key of ['W', 'b', 'c'] as const) {
    const x = a[key];
    const y = b[key];
    if (x.length !== y.length) return false;
    for (let k = 0; k < x.length; k++) if (!Object.is(x[k], y[k])) return false;
  }
  return true;
}

// Bad input: every kind of bad argument gives an NntkError with a stable code (E_SHAPE, E_NONFINITE,
// E_ARGUMENT, E_TOO_LARGE, E_UNSUPPORTED).
const { bad, data, net, net3, overflowData, overflowing } = fixtures;

// newtonStepSync throws; newtonStep must return a rejected Promise rather than throw synchronously.
const stepVariants = [
  ['newtonStepSync', (n: unknown, d: unknown, o: unknown) => newtonStepSync(bad(n), bad(d), bad(o))],
  ['newtonStep', (n: unknown, d: unknown, o: unknown) => newtonStep(bad(n), bad(d), bad(o))],
] as const;

async function expectStepCode(call: (n: unknown, d: unknown, o: unknown) => unknown, args: [unknown, unknown, unknown], code: string) {
  let result: unknown;
  let thrown: unknown;
  try {
    result = call(...args);
  } catch (e) {
    thrown = e;
  }
  if (call === stepVariants[1][1]) {
    expect(thrown, 'newtonStep threw synchronously instead of rejecting').toBeUndefined();
    expect(result).toBeInstanceOf(Promise);
    try {
      await result;
    } catch (e) {
      thrown = e;
    }
  }
  expect(thrown).toBeInstanceOf(NntkError);
  expect((thrown as NntkError).code, (thrown as NntkError).message).toBe(code);
  return thrown as NntkError;
}

describe.each(stepVariants)('%s', (_name, call) => {
  const reg = { regularization: { gamma: 0.1 } };
  it('wrong shape: data of another inputDim', async () => {
    await expectStepCode(call, [net3, data, reg], 'E_SHAPE');
  });
  it('wrong types: net, data, options', async () => {
    await expectStepCode(call, [{ width: 4 }, data, reg], 'E_ARGUMENT');
    await expectStepCode(call, [net, { x: data.x, y: data.y }, reg], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, undefined], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, 'newton'], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: 0.1 }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: { gamma: '0.1' } }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, memoryLimitBytes: '1e9' }], 'E_ARGUMENT');
  });
  it('missing or ambiguous regularization', async () => {
    await expectStepCode(call, [net, data, {}], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: {} }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: { gamma: 0.1, lambda: 0.1 } }], 'E_ARGUMENT');
  });
  it('negative regularization and memory limit', async () => {
    await expectStepCode(call, [net, data, { regularization: { gamma: -0.1 } }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: { lambda: -1e-9 } }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, memoryLimitBytes: -1 }], 'E_ARGUMENT');
  });
  it('NaN / Infinity regularization or memory limit', async () => {
    await expectStepCode(call, [net, data, { regularization: { gamma: Number.NaN } }], 'E_NONFINITE');
    await expectStepCode(call, [net, data, { regularization: { lambda: Number.POSITIVE_INFINITY } }], 'E_NONFINITE');
    await expectStepCode(call, [net, data, { ...reg, memoryLimitBytes: Number.NaN }], 'E_NONFINITE');
  });
  it('non-finite values produced by the network at these parameters', async () => {
    await expectStepCode(call, [overflowing, overflowData, { regularization: { lambda: 1 } }], 'E_NONFINITE');
  });
  it('unknown option keys (in the options and in regularization)', async () => {
    const e = await expectStepCode(call, [net, data, { ...reg, spectra: 'full' }], 'E_ARGUMENT');
    expect(e.message).toMatch(/spectra/);
    await expectStepCode(call, [net, data, { regularization: { mu: 0.1 } }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: { gamma: 0.1, extra: 1 } }], 'E_ARGUMENT');
  });
  it('unknown enum strings', async () => {
    await expectStepCode(call, [net, data, { ...reg, curvature: 'hessian' }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, solver: 'qr' }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, spectrum: 'all' }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, spectrum: 3 }], 'E_ARGUMENT');
  });
  it("solver 'structured' cannot give the full spectrum: E_UNSUPPORTED", async () => {
    const e = await expectStepCode(call, [net, data, { ...reg, solver: 'structured', spectrum: 'full' }], 'E_UNSUPPORTED');
    expect(e.message).toMatch(/dense/);
  });
  it("E_TOO_LARGE past memoryLimitBytes with solver 'dense', with a message pointing at the structured solver", async () => {
    const wide = TwoLayerNet.create({ width: 100, inputDim: 1, seed: 1 });
    const e = await expectStepCode(call, [wide, data, { ...reg, solver: 'dense', memoryLimitBytes: 1000 }], 'E_TOO_LARGE');
    expect(e.message).toMatch(/structured/);
  });
  it("E_TOO_LARGE past the default 4 GiB cap without allocating (width 30000, P = 90000, solver 'dense')", async () => {
    const huge = TwoLayerNet.create({ width: 30000, inputDim: 1, seed: 1 });
    const e = await expectStepCode(call, [huge, data, { ...reg, solver: 'dense' }], 'E_TOO_LARGE');
    expect(e.message).toMatch(/structured/);
  });
  it("'full' spectrum past the dense cap is E_TOO_LARGE even with 'auto'", async () => {
    const wide = TwoLayerNet.create({ width: 100, inputDim: 1, seed: 1 });
    await expectStepCode(call, [wide, data, { ...reg, spectrum: 'full', memoryLimitBytes: 1000 }], 'E_TOO_LARGE');
  });
});

