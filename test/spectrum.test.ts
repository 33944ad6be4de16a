/**
 * curvatureSpectrum: inertia and extremal eigenvalues of C + lambda I by Haynsworth inertia and
 * bisection (docs/MATH.md section 4), checked against LAPACK's dense eigensolver and, for small P,
 * against the Jacobi routine of the test helpers on hessian() + lambda I.
 */
import { describe, expect, it } from 'vitest';
import {
  type Activation,
  curvatureSpectrum,
  curvatureSpectrumSync,
  Dataset,
  datasets,
  newtonStepSync,
  NntkError,
  TwoLayerNet,
} from '../src/index.js';
import { expectCode, jacobiEigenvalues, randomDataset, rng, uniforms } from './helpers.js';

function signCounts(values: Float64Array) {
  let positive = 0;
  let negative = 0;
  for (const v of values) v > 0 ? positive++ : v < 0 && negative++;
  return { positive, negative, zero: values.length - positive - negative };
}

describe('curvatureSpectrum', () => {
  const cases: { activation: Activation; width: number; d: number; M: number; gamma: number }[] = [
    { activation: 'tanh', width: 3, d: 1, M: 16, gamma: 1e-3 }, // P < M
    { activation: 'tanh', width: 60, d: 1, M: 16, gamma: 1e-3 },
    { activation: 'sin', width: 40, d: 3, M: 9, gamma: 1e-2 },
    { activation: 'softplus', width: 25, d: 2, M: 30, gamma: 1e-1 },
    { activation: 'gelu', width: 80, d: 1, M: 12, gamma: 1e-4 },
  ];
  for (const { activation, width, d, M, gamma } of cases) {
    for (const curvature of ['newton', 'gauss-newton'] as const) {
      it(`${activation}, width ${width}, inputDim ${d}, M ${M}, ${curvature}: agrees with LAPACK's full spectrum`, () => {
        const data = randomDataset(7 + width, M, d);
        const net = TwoLayerNet.create({ width, inputDim: d, activation, seed: 3 });
        const s = curvatureSpectrumSync(net, data, { regularization: { gamma }, curvature });
        const full = newtonStepSync(net, data, { regularization: { gamma }, curvature, spectrum: 'full' });
        const eig = full.eigenvalues!;
        const radius = Math.max(Math.abs(eig[0]!), Math.abs(eig[eig.length - 1]!));
        expect(Math.abs(s.minEigenvalue - eig[0]!) / radius).toBeLessThan(1e-12);
        expect(Math.abs(s.maxEigenvalue - eig[eig.length - 1]!) / radius).toBeLessThan(1e-12);
        expect(s.inertia).toEqual(signCounts(eig));
        expect(s.lambda).toBe(full.lambda);
      });
    }
  }

  it('Gauss-Newton closed form: the smallest of the P eigenvalues when P < M, lambda itself when P > M', () => {
    // J^T J / M (P x P) has the P largest eigenvalues of J J^T / M when P <= M, so the smallest eigenvalue of
    // C + lambda I is lambda + the P-th largest of them, far from lambda for a well-conditioned J; when P > M
    // it is lambda exactly (P - M zero eigenvalues). Smooth tanh features make J J^T / M's eigenvalues decay
    // fast; these seeds, widths and points on [-2, 2] keep the P-th one above 1e-5 of the largest.
    const cases = [
      { width: 2, d: 1, M: 60, seed: 5, lambda: 1e-6 },  // P = 6
      { width: 2, d: 2, M: 60, seed: 9, lambda: 1e-5 },  // P = 8
      { width: 2, d: 2, M: 60, seed: 10, lambda: 0.3 },
      { width: 30, d: 1, M: 20, seed: 1, lambda: 1e-4 },  // P = 90 > M
      { width: 10, d: 2, M: 25, seed: 2, lambda: 1e-2 },  // P = 40 > M
    ];
    for (const { width, d, M, seed, lambda } of cases) {
      const rand = rng(1000 * width + M);
      const data = Dataset.create({ x: uniforms(rand, M * d, -2, 2), y: uniforms(rand, M), inputDim: d });
      const net = TwoLayerNet.create({ width, inputDim: d, seed });
      const o = { regularization: { lambda }, curvature: 'gauss-newton' as const };
      const eig = newtonStepSync(net, data, { ...o, solver: 'dense', spectrum: 'full' }).eigenvalues!;
      const s = curvatureSpectrumSync(net, data, o);
      const P = net.parameterCount;
      const min = eig[0]!;
      const max = eig[P - 1]!;
      const label = `width ${width}, inputDim ${d}, M ${M}`;
      if (P < M) expect(min - lambda, label).toBeGreaterThan(1e-5 * max);  // the old closed form said lambda
      // Both eigensolvers are accurate to a few ulps of the largest eigenvalue.
      expect(Math.abs(s.minEigenvalue - min), label).toBeLessThanOrEqual(1e-13 * max);
      expect(Math.abs(s.maxEigenvalue - max), label).toBeLessThanOrEqual(1e-13 * max);
      if (P > M) expect(s.minEigenvalue, label).toBe(lambda);
      expect(s.inertia).toEqual({ positive: P, negative: 0, zero: 0 });
    }
  });

  it('matches an independent Jacobi eigen-solve of hessian() + lambda I', () => {
    const data = datasets.paperFigure1();
    const net = TwoLayerNet.create({ width: 12, inputDim: 1, seed: 5 });
    const lambda = 2e-3;
    const H = net.hessian(data);
    const P = net.parameterCount;
    for (let k = 0; k < P; k++) H[k * P + k]! += lambda;
    const eig = jacobiEigenvalues(H, P);
    const s = curvatureSpectrumSync(net, data, { regularization: { lambda } });
    const radius = Math.max(Math.abs(eig[0]!), Math.abs(eig[P - 1]!));
    expect(Math.abs(s.minEigenvalue - eig[0]!) / radius).toBeLessThan(1e-10);
    expect(Math.abs(s.maxEigenvalue - eig[P - 1]!) / radius).toBeLessThan(1e-10);
    expect(s.inertia).toEqual(signCounts(eig));
  });

  it('works past the dense limit: width 20000 (P = 60000) with the expected bounds', async () => {
    const data = datasets.paperFigure1();
    const net = TwoLayerNet.create({ width: 20000, inputDim: 1, seed: 0 });
    const s = await curvatureSpectrum(net, data, { regularization: { gamma: 0.1 } });
    // gamma = 0.1 is past the positive-definite threshold at this width (the demo's table).
    expect(s.inertia).toEqual({ positive: 60000, negative: 0, zero: 0 });
    expect(s.minEigenvalue).toBeGreaterThan(0);
    expect(s.minEigenvalue).toBeLessThanOrEqual(s.maxEigenvalue);
    // Gauss-Newton: J^T J / M has rank <= M, so lambda is an eigenvalue of multiplicity >= P - M.
    const gn = curvatureSpectrumSync(net, data, { regularization: { gamma: 0.1 }, curvature: 'gauss-newton' });
    expect(Math.abs(gn.minEigenvalue - gn.lambda) / gn.maxEigenvalue).toBeLessThan(1e-12);
  });

  it('async and sync agree', async () => {
    const data = randomDataset(1, 10, 2);
    const net = TwoLayerNet.create({ width: 30, inputDim: 2, seed: 9 });
    const o = { regularization: { gamma: 1e-3 } };
    const a = await curvatureSpectrum(net, data, o);
    const b = curvatureSpectrumSync(net, data, o);
    expect(a).toEqual(b);
  });

  describe('bad input', () => {
    const data = datasets.paperFigure1();
    const net = TwoLayerNet.create({ width: 5, inputDim: 1, seed: 0 });
    it('rejects a missing or malformed regularization', () => {
      expectCode(() => curvatureSpectrumSync(net, data, {} as never), 'E_ARGUMENT');
      expectCode(() => curvatureSpectrumSync(net, data, { regularization: { gamma: -1 } }), 'E_ARGUMENT');
      expectCode(() => curvatureSpectrumSync(net, data, { regularization: { gamma: NaN } }), 'E_NONFINITE');
      expectCode(() => curvatureSpectrumSync(net, data, { regularization: { gamma: 1, lambda: 1 } } as never), 'E_ARGUMENT');
    });
    it('rejects unknown options, curvatures and wrong types', () => {
      expectCode(() => curvatureSpectrumSync(net, data, { regularization: { gamma: 1 }, solver: 'dense' } as never), 'E_ARGUMENT');
      expectCode(() => curvatureSpectrumSync(net, data, { regularization: { gamma: 1 }, curvature: 'bfgs' } as never), 'E_ARGUMENT');
      expectCode(() => curvatureSpectrumSync({} as never, data, { regularization: { gamma: 1 } }), 'E_ARGUMENT');
      expectCode(() => curvatureSpectrumSync(net, { x: [1], y: [1] } as never, { regularization: { gamma: 1 } }), 'E_ARGUMENT');
    });
    it('rejects data of another input dimension', () => {
      expectCode(() => curvatureSpectrumSync(net, randomDataset(1, 4, 2), { regularization: { gamma: 1 } }), 'E_SHAPE');
    });
    it('async calls reject instead of throwing', async () => {
      const p = curvatureSpectrum(net, data, { regularization: { gamma: -1 } });
      await expect(p).rejects.toBeInstanceOf(NntkError);
    });
    it('reports a network that overflows as E_NONFINITE', () => {
      const big = TwoLayerNet.fromParameters({
        W: new Float64Array([1]), b: new Float64Array([0]), c: new Float64Array([1e308]), beta: 0.5, activation: 'softplus',
      });
      expectCode(() => curvatureSpectrumSync(big, data, { regularization: { gamma: 1 } }), 'E_NONFINITE');
    });
  });
});
