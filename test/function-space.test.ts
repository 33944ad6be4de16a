/**
 * Function-space tools (docs/MATH.md section 5): the linearized trajectory against its closed form,
 * the one-step loss against the NNTK linearization at growing width, and kernel convergence to the limit.
 */
import { describe, expect, it } from 'vitest';
import {
  chooseSolver,
  Dataset,
  datasets,
  estimateCosts,
  linearizedTrajectory,
  nntkGramLimitSync,
  nntkGramSync,
  oneStepLoss,
  relativeFrobeniusError,
  symmetricEigen,
  TwoLayerNet,
} from '../src/index.js';
import { expectCode, rng, uniforms } from './helpers.js';

describe('linearizedTrajectory', () => {
  it('equals y - (I - alpha K)^t (y - f_0), computed through the eigen-decomposition of K', () => {
    const M = 6;
    const rand = rng(4);
    const A = uniforms(rand, M * M);
    const K = new Float64Array(M * M);
    for (let a = 0; a < M; a++) for (let b = 0; b < M; b++) K[a * M + b] = (A[a * M + b]! + A[b * M + a]!) / 8 + (a === b ? 0.5 : 0);
    const y = uniforms(rand, M);
    const f0 = uniforms(rand, M);
    const alpha = 0.7;
    const steps = 9;
    const traj = linearizedTrajectory(K, y, f0, { steps, alpha });
    expect(traj).toHaveLength((steps + 1) * M);
    const { values, vectors } = symmetricEigen(K, M);
    const e0 = y.map((v, m) => v - f0[m]!);
    for (const t of [0, 1, 5, 9]) {
      for (let a = 0; a < M; a++) {
        let s = 0;
        for (let k = 0; k < M; k++) {
          let proj = 0;
          for (let b = 0; b < M; b++) proj += vectors[b * M + k]! * e0[b]!;
          s += vectors[a * M + k]! * (1 - alpha * values[k]!) ** t * proj;
        }
        expect(traj[t * M + a]).toBeCloseTo(y[a]! - s, 12);
      }
    }
  });

  it('follows diverging dynamics up to the overflow, then raises E_NONFINITE instead of returning NaN', () => {
    // K = 3 I, alpha = 1: f_t = y - (-2)^t (y - f_0), which leaves the doubles after step 1023.
    const M = 3;
    const K = new Float64Array(M * M);
    for (let a = 0; a < M; a++) K[a * M + a] = 3;
    const y = new Float64Array([1, -0.5, 0.25]);
    const f0 = new Float64Array([0.5, 0.5, -0.5]);
    const traj = linearizedTrajectory(K, y, f0, { steps: 1000 });
    for (const t of [0, 1, 17, 500, 1000])
      for (let a = 0; a < M; a++) {
        const want = y[a]! - (-2) ** t * (y[a]! - f0[a]!);
        expect(Math.abs(traj[t * M + a]! - want)).toBeLessThanOrEqual(1e-15 * Math.abs(want) + 1e-15);
      }
    const err = expectCode(() => linearizedTrajectory(K, y, f0, { steps: 1100 }), 'E_NONFINITE');
    expect(err.message).toMatch(/overflows at step 10[0-9][0-9] of 1100/);
    expect(err.message).toMatch(/smaller alpha/);
    // the same kernel with alpha = 0.5 contracts: no error
    expect(linearizedTrajectory(K, y, f0, { steps: 1100, alpha: 0.5 }).every(Number.isFinite)).toBe(true);
  });

  it('rejects bad input', () => {
    const K = new Float64Array(4);
    const v = new Float64Array(2);
    expectCode(() => linearizedTrajectory(K, v, new Float64Array(3), { steps: 1 }), 'E_SHAPE');
    expectCode(() => linearizedTrajectory(new Float64Array(3), v, v, { steps: 1 }), 'E_SHAPE');
    expectCode(() => linearizedTrajectory(K, v, v, { steps: -1 }), 'E_ARGUMENT');
    expectCode(() => linearizedTrajectory(K, v, v, { steps: 1, alpha: Number.NaN }), 'E_NONFINITE');
    expectCode(() => linearizedTrajectory(K, new Float64Array([1, Number.POSITIVE_INFINITY]), v, { steps: 1 }), 'E_NONFINITE');
    expectCode(() => linearizedTrajectory(K, v, v, { steps: 1, step: 2 } as never), 'E_ARGUMENT');
  });
});

describe('relativeFrobeniusError', () => {
  it('is |A - B|_F / |B|_F', () => {
    expect(relativeFrobeniusError(new Float64Array([1, 2, 2, 4]), new Float64Array([1, 2, 2, 3]))).toBeCloseTo(1 / Math.sqrt(18), 15);
    expectCode(() => relativeFrobeniusError(new Float64Array(2), new Float64Array(2)), 'E_ARGUMENT');
    expectCode(() => relativeFrobeniusError(new Float64Array(2), new Float64Array(3)), 'E_SHAPE');
  });
});

describe('one-step loss and kernel limits (Remark 6, Theorem 7)', () => {
  const data = datasets.paperFigure1();

  it('the actual one-step loss approaches the NNTK linearization as the width grows', () => {
    const gap = (width: number) => {
      const net = TwoLayerNet.create({ width, inputDim: 1, seed: 0 });
      const r = oneStepLoss(net, data, { regularization: { gamma: 0.1 }, curvature: 'gauss-newton' });
      expect(r.normalized).toBeCloseTo(r.after / data.y.reduce((s, v) => s + v * v, 0), 15);
      return Math.abs(r.after - r.linearized) / r.before;
    };
    const narrow = gap(300);
    const wide = gap(100000);
    expect(wide).toBeLessThan(1e-3);
    expect(wide).toBeLessThan(narrow);
  });

  it('the finite-width Gauss-Newton NNTK approaches the limit B* (B* + gamma I)^-1', () => {
    const gamma = 0.1;
    const limit = nntkGramLimitSync(data, { gamma });
    const error = (width: number, seed: number) =>
      relativeFrobeniusError(nntkGramSync(TwoLayerNet.create({ width, inputDim: 1, seed }), data, { regularization: { gamma }, curvature: 'gauss-newton' }), limit);
    const narrow = [1, 2, 3].map((s) => error(1000, s)).reduce((a, b) => a + b) / 3;
    const wide = [1, 2, 3].map((s) => error(100000, s)).reduce((a, b) => a + b) / 3;
    expect(wide).toBeLessThan(narrow / 3);  // the paper's rate N^-(1-beta) predicts a factor of about 9
    expect(wide).toBeLessThan(0.05);
  });
});

describe('bad input to oneStepLoss, chooseSolver and Dataset bases', () => {
  const data = datasets.paperFigure1();
  const net = TwoLayerNet.create({ width: 5, inputDim: 1, seed: 0 });
  it('oneStepLoss', () => {
    expectCode(() => oneStepLoss(net, data, {} as never), 'E_ARGUMENT');
    expectCode(() => oneStepLoss(net, data, { regularization: { gamma: 1 }, alpha: Number.NaN }), 'E_NONFINITE');
    expectCode(() => oneStepLoss({} as never, data, { regularization: { gamma: 1 } }), 'E_ARGUMENT');
    expectCode(() => oneStepLoss(net, data, 3 as never), 'E_ARGUMENT');
  });
  it('chooseSolver and estimateCosts', () => {
    expectCode(() => chooseSolver(0, 16, 5, 'inertia', true), 'E_ARGUMENT');
    expectCode(() => chooseSolver(15, Number.NaN, 5, 'inertia', true), 'E_NONFINITE');
    expectCode(() => chooseSolver(15, 16, 5, 'all' as never, true), 'E_ARGUMENT');
    expectCode(() => chooseSolver(15, 16, 5, 'inertia', 'yes' as never), 'E_ARGUMENT');
    expectCode(() => estimateCosts(15.5, 16, 5, 'none'), 'E_ARGUMENT');
    expect(chooseSolver(3_000_000, 128, 1_000_000, 'inertia', false).solver).toBe('structured');
    expect(chooseSolver(30, 128, 10, 'inertia', true).solver).toBe('dense');
  });
  it('Dataset bases', () => {
    const x = [0, 0.5, 1];
    const y = [1, 2, 3];
    expectCode(() => Dataset.create({ x, y, basis: { names: [], values: new Float64Array(0) } }), 'E_ARGUMENT');
    expectCode(() => Dataset.create({ x, y, basis: { names: [1] as never, values: new Float64Array(3) } }), 'E_ARGUMENT');
    expectCode(() => Dataset.create({ x, y, basis: { names: ['a'], values: [1, 2, 3] as never } }), 'E_ARGUMENT');
    expectCode(() => Dataset.create({ x, y, basis: { names: ['a'], values: new Float64Array(4) } }), 'E_SHAPE');
    expectCode(() => Dataset.create({ x, y, basis: { names: ['a'], values: new Float64Array([1, Number.NaN, 3]) } }), 'E_NONFINITE');
    expectCode(() => Dataset.create({ x, y, basis: { names: ['a'], values: new Float64Array(3), extra: 1 } as never }), 'E_ARGUMENT');
    const d = Dataset.create({ x, y, basis: { names: ['one'], values: new Float64Array([1, 1, 1]) } });
    expect(d.basis!.names).toEqual(['one']);
  });
});
