/**
 * The primal Gauss-Newton solver (docs/MATH.md section 4.1, native/core/primal_gauss_newton.cpp): the
 * least-squares form of step = -(J^T J / M + lambda I)^-1 J^T r / M by QR of J (column-pivoted at
 * lambda = 0) or of [J; sqrt(M lambda) I]. Checked against the dense solver (lambda > 0), against the
 * normal equations solved here from net.jacobian() (lambda = 0), for rank deficiency, for what 'auto'
 * picks, in training in the underparameterized regime, and for thread-count independence.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  chooseSolver,
  type Dataset,
  getThreads,
  newtonStep,
  newtonStepSync,
  setThreads,
  type StepResult,
  train,
  TwoLayerNet,
} from '../src/index.js';
import { expectCode, flatten, jacobiEigenvalues, maxAbs, norm, randomDataset, rng, uniforms } from './helpers.js';
import { Dataset as DatasetClass } from '../src/dataset.js';

const flat = (s: StepResult, net: TwoLayerNet) => flatten(s.step, net.width, net.inputDim);

function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k]! - b[k]!));
  return d / maxAbs(b);
}

/** Underparameterized cases, P < M. */
const cases = [
  { name: 'tanh, width 4, d 2, M 40', net: TwoLayerNet.create({ width: 4, inputDim: 2, seed: 3 }), data: randomDataset(5, 40, 2) },
  {
    name: 'gelu, width 3, d 3, M 31, beta 0.75, outputScale 2',
    net: TwoLayerNet.create({ width: 3, inputDim: 3, seed: 8, activation: 'gelu', beta: 0.75, outputScale: 2 }),
    data: randomDataset(9, 31, 3),
  },
];

/** J (M x P, row-major) and r = f - y from the public API, to solve the normal equations here. */
function jacobianAndResidual(net: TwoLayerNet, data: Dataset) {
  const J = net.jacobian(data);
  const f = net.predict(data.x);
  const r = Float64Array.from(f, (v, m) => v - data.y[m]!);
  return { J, r };
}

/** (J^T J / M + lambda I) s = -J^T r / M by Cholesky, in plain TypeScript; also the matrix. */
function normalEquationsStep(net: TwoLayerNet, data: Dataset, lambda: number) {
  const { J, r } = jacobianAndResidual(net, data);
  const M = data.size;
  const P = net.parameterCount;
  const A = new Float64Array(P * P);
  const g = new Float64Array(P);
  for (let a = 0; a < P; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += J[m * P + a]! * J[m * P + b]!;
      A[a * P + b] = A[b * P + a] = s / M + (a === b ? lambda : 0);
    }
    let s = 0;
    for (let m = 0; m < M; m++) s += J[m * P + a]! * r[m]!;
    g[a] = s / M;
  }
  const L = Float64Array.from(A);
  for (let j = 0; j < P; j++) {
    let d = L[j * P + j]!;
    for (let k = 0; k < j; k++) d -= L[j * P + k]! ** 2;
    L[j * P + j] = Math.sqrt(d);
    for (let i = j + 1; i < P; i++) {
      let s = L[i * P + j]!;
      for (let k = 0; k < j; k++) s -= L[i * P + k]! * L[j * P + k]!;
      L[i * P + j] = s / L[j * P + j]!;
    }
  }
  const z = Float64Array.from(g, (v) => -v);
  for (let i = 0; i < P; i++) {
    for (let k = 0; k < i; k++) z[i]! -= L[i * P + k]! * z[k]!;
    z[i]! /= L[i * P + i]!;
  }
  for (let i = P - 1; i >= 0; i--) {
    for (let k = i + 1; k < P; k++) z[i]! -= L[k * P + i]! * z[k]!;
    z[i]! /= L[i * P + i]!;
  }
  return { step: z, matrix: A, gradient: g };
}

describe('primal solver against the dense Gauss-Newton step (lambda > 0)', () => {
  for (const c of cases) {
    for (const lambda of [1e-1, 1e-3]) {
      it(`${c.name}, lambda ${lambda}`, () => {
        const o = { regularization: { lambda }, curvature: 'gauss-newton', spectrum: 'extremal' } as const;
        const dense = newtonStepSync(c.net, c.data, { ...o, solver: 'dense' });
        const primal = newtonStepSync(c.net, c.data, { ...o, solver: 'primal' });
        expect(primal.solver).toMatch(/^primal-qr(-seminormal)?$/);
        expect(relativeDifference(flat(primal, c.net), flat(dense, c.net))).toBeLessThan(1e-12);
        expect(primal.inertia).toEqual({ positive: c.net.parameterCount, negative: 0, zero: 0 });
        expect(primal.loss).toBe(dense.loss);
        expect(Math.abs(primal.gradientNorm - dense.gradientNorm)).toBeLessThan(1e-13 * dense.gradientNorm);
        expect(Math.abs(primal.stepNorm - dense.stepNorm)).toBeLessThan(1e-12 * dense.stepNorm);
        const scale = dense.maxEigenvalue!;
        expect(Math.abs(primal.minEigenvalue! - dense.minEigenvalue!)).toBeLessThan(1e-13 * scale);
        expect(Math.abs(primal.maxEigenvalue! - dense.maxEigenvalue!)).toBeLessThan(1e-13 * scale);
        // reported: the square of R's 1-norm estimate, within the 1-norm's factor P of the exact 2-norm value
        const exact = dense.minEigenvalue! / dense.maxEigenvalue!;
        expect(primal.reciprocalCondition).toBeGreaterThan(exact / c.net.parameterCount ** 2);
        expect(primal.reciprocalCondition).toBeLessThan(exact * c.net.parameterCount ** 2);
      });
    }
  }

  it('every eigenvalue (spectrum full) against an independent Jacobi eigensolver', () => {
    const { net, data } = cases[0]!;
    const lambda = 1e-2;
    const primal = newtonStepSync(net, data, { regularization: { lambda }, curvature: 'gauss-newton', solver: 'primal', spectrum: 'full' });
    const { matrix } = normalEquationsStep(net, data, lambda);
    const reference = jacobiEigenvalues(matrix, net.parameterCount);
    const eigenvalues = primal.eigenvalues!;
    expect(eigenvalues.length).toBe(net.parameterCount);
    for (let k = 0; k < reference.length; k++) expect(Math.abs(eigenvalues[k]! - reference[k]!)).toBeLessThan(1e-13 * reference.at(-1)!);
  });

  it('lambda far above the curvature (1e300): the seminormal equations keep the tiny step accurate', () => {
    const { net, data } = cases[0]!;
    const o = { regularization: { lambda: 1e300 }, curvature: 'gauss-newton' } as const;
    const dense = newtonStepSync(net, data, { ...o, solver: 'dense' });
    const primal = newtonStepSync(net, data, { ...o, solver: 'primal' });
    expect(primal.solver).toBe('primal-qr-seminormal');
    expect(maxAbs(flat(dense, net))).toBeGreaterThan(0);
    expect(relativeDifference(flat(primal, net), flat(dense, net))).toBeLessThan(1e-12);
  });

  it('also serves P > M when lambda > 0 (the augmented system has full rank)', () => {
    const net = TwoLayerNet.create({ width: 10, inputDim: 1, seed: 2 });
    const data = randomDataset(4, 12, 1);
    const o = { regularization: { lambda: 1e-2 }, curvature: 'gauss-newton' } as const;
    const dense = newtonStepSync(net, data, { ...o, solver: 'dense' });
    const primal = newtonStepSync(net, data, { ...o, solver: 'primal' });
    expect(relativeDifference(flat(primal, net), flat(dense, net))).toBeLessThan(1e-12);
  });

  it('the async entry point gives the same bits', async () => {
    const { net, data } = cases[1]!;
    const o = { regularization: { lambda: 1e-3 }, curvature: 'gauss-newton', solver: 'primal', spectrum: 'extremal' } as const;
    const a = newtonStepSync(net, data, o);
    const b = await newtonStep(net, data, o);
    expect(flat(b, net)).toEqual(flat(a, net));
    expect(b.minEigenvalue).toBe(a.minEigenvalue);
  });
});

describe('primal solver without regularization', () => {
  for (const c of cases) {
    it(`${c.name}: the least-squares step, against the normal equations solved here`, () => {
      const primal = newtonStepSync(c.net, c.data, { regularization: { lambda: 0 }, curvature: 'gauss-newton', solver: 'primal', spectrum: 'full' });
      expect(primal.solver).toBe('primal-qr-pivoted');
      const { step, matrix, gradient } = normalEquationsStep(c.net, c.data, 0);
      const eigenvalues = jacobiEigenvalues(matrix, c.net.parameterCount);
      const condition = eigenvalues.at(-1)! / eigenvalues[0]!;
      expect(condition).toBeLessThan(1e8);  // well conditioned enough for the normal equations here
      // The normal equations lose about cond * eps; QR about sqrt(cond) * eps of that.
      expect(relativeDifference(flat(primal, c.net), step)).toBeLessThan(condition * 1e-14);
      // Optimality of the least-squares solution: J^T (J s + r) / M = J^T J s / M + g = 0.
      const s = flat(primal, c.net);
      const P = c.net.parameterCount;
      const optimality = Float64Array.from({ length: P }, (_, a) => {
        let v = gradient[a]!;
        for (let b = 0; b < P; b++) v += matrix[a * P + b]! * s[b]!;
        return v;
      });
      expect(norm(optimality)).toBeLessThan(1e-12 * norm(gradient) * Math.sqrt(condition));
      expect(primal.inertia).toEqual({ positive: P, negative: 0, zero: 0 });
      // every eigenvalue of J^T J / M from R's singular values
      for (let k = 0; k < P; k++) expect(Math.abs(primal.eigenvalues![k]! - eigenvalues[k]!)).toBeLessThan(1e-13 * eigenvalues.at(-1)!);
      expect(primal.gradientNorm).toBeCloseTo(norm(gradient), 14);
    });
  }

  it('E_SINGULAR with a hint when J is rank deficient: two identical neurons', () => {
    const base = TwoLayerNet.create({ width: 3, inputDim: 2, seed: 5 });
    const p = base.parameters();
    const W = Float64Array.from(p.W);
    W[2] = W[0]!;
    W[3] = W[1]!;
    const b = Float64Array.from(p.b);
    b[1] = b[0]!;
    const c = Float64Array.from(p.c);
    c[1] = c[0]!;
    const net = TwoLayerNet.fromParameters({ W, b, c, beta: base.beta });
    const data = randomDataset(6, 30, 2);
    const e = expectCode(() => newtonStepSync(net, data, { regularization: { lambda: 0 }, curvature: 'gauss-newton', solver: 'primal' }), 'E_SINGULAR');
    expect(e.message).toMatch(/numerical rank 8 < P = 12/);
    expect(e.message).toMatch(/lambda > 0/);
    expect(e.message).toMatch(/fewer neurons/);
    expect(e.message).toMatch(/freeze parameter groups/);
    // With regularization the same network has a unique step, the dense solver's.
    const o = { regularization: { lambda: 1e-2 }, curvature: 'gauss-newton' } as const;
    const primal = newtonStepSync(net, data, { ...o, solver: 'primal' });
    const dense = newtonStepSync(net, data, { ...o, solver: 'dense' });
    expect(relativeDifference(flat(primal, net), flat(dense, net))).toBeLessThan(1e-12);
  });

  it('E_SINGULAR for the symmetric initialization (rank P / 2) and when P > M', () => {
    const o = { regularization: { lambda: 0 }, curvature: 'gauss-newton', solver: 'primal' } as const;
    const symmetric = TwoLayerNet.create({ width: 4, inputDim: 2, seed: 3, init: 'symmetric' });
    const e = expectCode(() => newtonStepSync(symmetric, randomDataset(5, 40, 2), o), 'E_SINGULAR');
    expect(e.message).toMatch(/numerical rank 8 < P = 16/);
    expectCode(() => newtonStepSync(TwoLayerNet.create({ width: 10, inputDim: 1, seed: 2 }), randomDataset(4, 12, 1), o), 'E_SINGULAR');
  });
});

describe("choosing the primal solver ('auto') and its errors", () => {
  it("'auto' picks primal for Gauss-Newton at P < M, and not for Newton or at P > M", () => {
    const { net, data } = cases[0]!;
    const gn = newtonStepSync(net, data, { regularization: { lambda: 0 }, curvature: 'gauss-newton' });
    expect(gn.solver).toBe('primal-qr-pivoted');
    expect(newtonStepSync(net, data, { regularization: { lambda: 1e-3 }, curvature: 'gauss-newton' }).solver).toMatch(/^primal-qr/);
    expect(newtonStepSync(net, data, { regularization: { lambda: 1e-3 }, curvature: 'newton' }).solver).toMatch(/^dense/);
    const wide = TwoLayerNet.create({ width: 30, inputDim: 1, seed: 2 });
    expect(newtonStepSync(wide, randomDataset(4, 12, 1), { regularization: { lambda: 1e-3 }, curvature: 'gauss-newton' }).solver).not.toMatch(/^primal/);

    expect(chooseSolver(16, 40, 4, 'inertia', true, { curvature: 'gauss-newton' }).solver).toBe('primal');
    expect(chooseSolver(16, 40, 4, 'full', true, { curvature: 'gauss-newton' }).solver).toBe('primal');  // structured has no full spectrum
    expect(chooseSolver(16, 40, 4, 'inertia', true, { curvature: 'newton' }).solver).toBe('dense');
    expect(chooseSolver(16, 40, 4, 'inertia', true).solver).toBe('dense');  // the curvature defaults to Newton
    expect(chooseSolver(16, 40, 4, 'inertia', true, { curvature: 'gauss-newton', primalFits: false }).solver).toBe('dense');
    expect(chooseSolver(60, 40, 20, 'inertia', true, { curvature: 'gauss-newton' }).solver).not.toBe('primal');
    const costs = chooseSolver(16, 40, 4, 'inertia', true, { curvature: 'gauss-newton' });
    expect(costs.primalCost).toBeLessThan(costs.structuredCost);
    expect(chooseSolver(16, 40, 4, 'inertia', true, { curvature: 'newton' }).primalCost).toBeUndefined();
    expectCode(() => chooseSolver(16, 40, 4, 'inertia', true, { curvature: 'hessian' as never }), 'E_ARGUMENT');
  });

  it("solver 'primal' refuses Newton (E_ARGUMENT) and a memory cap it does not fit (E_TOO_LARGE)", async () => {
    const { net, data } = cases[0]!;
    const e = expectCode(() => newtonStepSync(net, data, { regularization: { lambda: 1 }, curvature: 'newton', solver: 'primal' }), 'E_ARGUMENT');
    expect(e.message).toMatch(/gauss-newton/);
    await expect(train(net, data, { method: 'newton', iterations: 1, solver: 'primal' })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    // (M + P) x P doubles = 56 * 16 * 8 bytes; without lambda M x P = 40 * 16 * 8.
    const o = { curvature: 'gauss-newton', solver: 'primal' } as const;
    expectCode(() => newtonStepSync(net, data, { ...o, regularization: { lambda: 1 }, memoryLimitBytes: 56 * 16 * 8 - 1 }), 'E_TOO_LARGE');
    expect(newtonStepSync(net, data, { ...o, regularization: { lambda: 1 }, memoryLimitBytes: 56 * 16 * 8 }).solver).toMatch(/^primal-qr/);
    expect(newtonStepSync(net, data, { ...o, regularization: { lambda: 0 }, memoryLimitBytes: 40 * 16 * 8 }).solver).toBe('primal-qr-pivoted');
    // 'auto' turns elsewhere when primal does not fit
    expect(newtonStepSync(net, data, { curvature: 'gauss-newton', regularization: { lambda: 1 }, memoryLimitBytes: 56 * 16 * 8 - 1 }).solver).toMatch(/^dense/);
  });
});

describe('training in the underparameterized regime', () => {
  // A teacher of the same shape (P = 9) labels M = 60 points, plus noise of 1e-4; the student starts 0.1 away.
  const d = 1;
  const width = 3;
  const M = 60;
  const teacher = TwoLayerNet.fromParameters({ W: Float64Array.of(2, -1.5, 1), b: Float64Array.of(-1, 0.5, 1.2), c: Float64Array.of(1, 1, -1), beta: 0.52 });
  const rand = rng(12);
  const x = uniforms(rand, M * d, -2, 2);
  const noise = uniforms(rand, M, -1e-4, 1e-4);
  const y = Float64Array.from(teacher.predict(x), (v, m) => v + noise[m]!);
  const data = DatasetClass.create({ x, y, inputDim: d });
  const p = teacher.parameters();
  const jitter = uniforms(rng(13), 3 * width, -0.1, 0.1);
  const student = TwoLayerNet.fromParameters({
    W: Float64Array.from(p.W, (v, k) => v + jitter[k]!),
    b: Float64Array.from(p.b, (v, k) => v + jitter[width + k]!),
    c: Float64Array.from(p.c, (v, k) => v + jitter[2 * width + k]!),
    beta: teacher.beta,
  });
  // The least-squares floor to first order in the noise: the noise's part outside the range of J at the
  // teacher, |r + J s|^2 / 2M with s from the normal equations solved here.
  const linearFloor = (() => {
    const { step } = normalEquationsStep(teacher, data, 0);
    const { J, r } = jacobianAndResidual(teacher, data);
    const P = teacher.parameterCount;
    let sum = 0;
    for (let m = 0; m < M; m++) {
      let v = r[m]!;
      for (let a = 0; a < P; a++) v += J[m * P + a]! * step[a]!;
      sum += v * v;
    }
    return sum / (2 * M);
  })();

  it("damping 'fixed' with lambda = 0 converges to the least-squares floor", async () => {
    const run = await train(student, data, { method: 'gauss-newton', iterations: 12, damping: 'fixed', regularization: { lambda: 0 }, spectrum: 'extremal' });
    expect(run.error).toBeUndefined();
    expect(run.solver).toBe('primal');
    expect(run.summary.solver).toBe('primal');
    expect(run.summary.full).toMatch(/primal-qr-pivoted/);
    const losses = run.history.map((h) => h.loss);
    for (let t = 1; t < 6; t++) expect(losses[t]!).toBeLessThan(losses[t - 1]!);
    const final = losses.at(-1)!;
    expect(final).toBeLessThan(teacher.loss(data));  // the teacher is a point near the minimum
    expect(Math.abs(final - linearFloor)).toBeLessThan(1e-3 * linearFloor);
    const last = run.history.at(-1)!;
    expect(last.gradientNorm!).toBeLessThan(1e-12 * run.history[1]!.gradientNorm!);
    expect(last.minEigenvalue!).toBeGreaterThan(0);
    expect(last.inertia).toEqual({ positive: student.parameterCount, negative: 0, zero: 0 });
  });

  for (const damping of ['gain-ratio', 'curvature-aware'] as const) {
    it(`damping '${damping}' runs with the primal solver ('auto') and reaches the same floor`, async () => {
      const reference = await train(student, data, { method: 'gauss-newton', iterations: 12, damping: 'fixed', regularization: { lambda: 0 } });
      const run = await train(student, data, { method: 'gauss-newton', iterations: 40, damping });
      expect(run.error).toBeUndefined();
      expect(run.summary.solver).toBe('primal');
      expect(run.summary.full).toMatch(/primal-qr\b/);
      const floor = reference.history.at(-1)!.loss;
      expect(Math.abs(run.history.at(-1)!.loss - floor)).toBeLessThan(1e-6 * floor);
    });
  }

  it('a rank-deficient start ends the run as failed with E_SINGULAR and the hint', async () => {
    const symmetric = TwoLayerNet.create({ width: 4, inputDim: d, seed: 3, init: 'symmetric' });
    const run = await train(symmetric, data, { method: 'gauss-newton', iterations: 5, damping: 'fixed', regularization: { lambda: 0 } });
    expect(run.stoppedBecause).toBe('failed');
    expect(run.error?.code).toBe('E_SINGULAR');
    expect(run.error?.message).toMatch(/lambda > 0/);
  });
});

describe('thread-count independence of the primal solver', () => {
  const threads = getThreads();
  afterAll(() => setThreads(threads));
  // width * M >= 65536: past workerCount()'s threshold, so the Jacobian's neuron loop runs threaded.
  const net = TwoLayerNet.create({ width: 16, inputDim: 8, seed: 21 });
  const data = randomDataset(22, 4096, 8);

  for (const lambda of [0, 1e-4]) {
    it(`the step and its spectrum have the same bits at 1 to 4 threads, lambda ${lambda}`, () => {
      const bits = (s: StepResult) => {
        const v = Float64Array.of(...flat(s, net), s.loss, s.gradientNorm, s.stepNorm, s.minEigenvalue!, s.maxEigenvalue!, s.reciprocalCondition);
        return Buffer.from(v.buffer).toString('hex');
      };
      const prints: string[] = [];
      for (const n of [1, 2, 3, 4]) {
        setThreads(n);
        prints.push(bits(newtonStepSync(net, data, { regularization: { lambda }, curvature: 'gauss-newton', solver: 'primal', spectrum: 'extremal' })));
      }
      for (const p of prints) expect(p).toBe(prints[0]);
    });
  }
});
