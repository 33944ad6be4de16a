/**
 * curvatureSpectrum's exact spectral tools (docs/MATH.md section 4, "Spectra"): the k smallest and largest
 * eigenvalues and eigenvectors by the secular equations, the trace, the Frobenius norm and the exact histogram,
 * each against LAPACK's dense eigen-decomposition of hessian() + lambda I at small widths; at large widths the
 * secular extremes against the independent bisection on Haynsworth inertia and against exact counts on both
 * sides of each extreme; stochastic Lanczos quadrature against the exact histogram.
 */
import { describe, expect, it } from 'vitest';
import { curvatureSpectrum, curvatureSpectrumSync, datasets, type Dataset, symmetricEigen, TwoLayerNet } from '../src/index.js';
import { expectCode, randomDataset } from './helpers.js';

function denseSpectrum(net: TwoLayerNet, data: Dataset, lambda: number, curvature: 'newton' | 'gauss-newton') {
  const P = net.parameterCount;
  let H: Float64Array;
  if (curvature === 'newton') {
    H = net.hessian(data);
  } else {
    const J = net.jacobian(data);
    const M = data.size;
    H = new Float64Array(P * P);
    for (let a = 0; a < P; a++)
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let m = 0; m < M; m++) s += J[m * P + a]! * J[m * P + b]!;
        H[a * P + b] = H[b * P + a] = s / M;
      }
  }
  for (let a = 0; a < P; a++) H[a * P + a]! += lambda;
  return { H, ...symmetricEigen(H, P) };
}

describe('curvatureSpectrum (secular): against the dense eigen-decomposition', () => {
  const cases = [
    { width: 120, d: 1, M: 16, gamma: 1e-3, activation: 'tanh' as const },
    { width: 90, d: 2, M: 12, gamma: 1e-2, activation: 'softplus' as const },
    { width: 200, d: 1, M: 8, gamma: 1e-5, activation: 'sin' as const },
    { width: 8, d: 1, M: 16, gamma: 1e-3, activation: 'tanh' as const }, // small P: the rotated matrix itself
  ];
  for (const { width, d, M, gamma, activation } of cases) {
    for (const curvature of ['newton', 'gauss-newton'] as const) {
      it(`${activation}, width ${width}, inputDim ${d}, M ${M}, ${curvature}`, () => {
        const data = randomDataset(11 + width, M, d);
        const net = TwoLayerNet.create({ width, inputDim: d, activation, seed: 4 });
        const k = 3;
        const s = curvatureSpectrumSync(net, data, {
          regularization: { gamma }, curvature, smallest: k, largest: k, eigenvectors: true, frobenius: true,
          histogram: { edges: [-1, -1e-3, 0, 1e-3, 1e-2, 1] },
        });
        const { H, values, vectors } = denseSpectrum(net, data, s.lambda, curvature);
        const P = net.parameterCount;
        const radius = Math.max(Math.abs(values[0]!), Math.abs(values[P - 1]!));
        for (let l = 0; l < k; l++) {
          expect(Math.abs(s.smallest[l]! - values[l]!) / radius).toBeLessThan(1e-10);
          expect(Math.abs(s.largest[l]! - values[P - 1 - l]!) / radius).toBeLessThan(1e-10);
        }
        expect(s.minEigenvalue).toBe(s.smallest[0]);
        expect(s.maxEigenvalue).toBe(s.largest[0]);
        // Eigenvectors: unit, small residual, and parallel to the dense one where the eigenvalue is simple.
        const check = (list: Float64Array[] | undefined, residuals: Float64Array | undefined, idx: (l: number) => number) => {
          for (let l = 0; l < k; l++) {
            const u = list![l]!;
            if (u.length === 0) continue; // an end eigenvalue found by counting has no vector
            let nrm = 0;
            for (const x of u) nrm += x * x;
            expect(Math.abs(Math.sqrt(nrm) - 1)).toBeLessThan(1e-12);
            expect(residuals![l]!).toBeLessThan(1e-9 * radius);
            const j = idx(l);
            const gap = Math.min(j > 0 ? values[j]! - values[j - 1]! : Infinity, j < P - 1 ? values[j + 1]! - values[j]! : Infinity);
            if (gap > 1e-6 * radius) {
              let dot = 0;
              for (let a = 0; a < P; a++) dot += u[a]! * vectors[a * P + j]!;
              expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-6);
            }
            // (H - mu) u computed densely, independently of the native residual.
            let r2 = 0;
            const mu = list === s.smallestVectors ? s.smallest[l]! : s.largest[l]!;
            for (let a = 0; a < P; a++) {
              let v = -mu * u[a]!;
              for (let b = 0; b < P; b++) v += H[a * P + b]! * u[b]!;
              r2 += v * v;
            }
            expect(Math.sqrt(r2)).toBeLessThan(1e-9 * radius);
          }
        };
        check(s.smallestVectors, s.smallestResiduals, (l) => l);
        check(s.largestVectors, s.largestResiduals, (l) => P - 1 - l);
        // Trace, Frobenius norm, histogram, inertia: exact.
        let trace = 0;
        let fro = 0;
        for (let a = 0; a < P; a++) trace += H[a * P + a]!;
        for (const h of H) fro += h * h;
        expect(Math.abs(s.trace! - trace) / Math.abs(trace)).toBeLessThan(1e-12);
        expect(Math.abs(s.frobeniusNorm! - Math.sqrt(fro)) / Math.sqrt(fro)).toBeLessThan(1e-12);
        const e = s.histogram!.edges;
        for (let b = 0; b + 1 < e.length; b++) {
          const exact = Array.from(values).filter((v) => v >= e[b]! && v < e[b + 1]!).length;
          expect(s.histogram!.counts[b]).toBe(exact);
        }
        const pos = Array.from(values).filter((v) => v > 0).length;
        expect(s.inertia.positive).toBe(pos);
        expect(s.inertia.negative).toBe(P - pos);
      });
    }
  }
});

describe('curvatureSpectrum (secular) at large width', () => {
  const data = datasets.paperFigure3();
  it('width 20000, M = 128: the extremes agree with bisection, and exact counts bracket them', () => {
    const net = TwoLayerNet.create({ width: 20000, inputDim: 1, seed: 0 });
    const o = { regularization: { gamma: 1e-3 } };
    const s = curvatureSpectrumSync(net, data, { ...o, histogram: { bins: 4 } });
    const b = curvatureSpectrumSync(net, data, { ...o, method: 'bisection' });
    const radius = Math.max(Math.abs(s.minEigenvalue), Math.abs(s.maxEigenvalue));
    expect(Math.abs(s.minEigenvalue - b.minEigenvalue) / radius).toBeLessThan(1e-10);
    expect(Math.abs(s.maxEigenvalue - b.maxEigenvalue) / radius).toBeLessThan(1e-10);
    expect(s.passes).toBeLessThan(b.bisectionSteps / 5);
    // No eigenvalue below min - 1e-9 radius, one in [min - 1e-9 r, min + 1e-9 r); likewise at the top.
    const t = 1e-9 * radius;
    const c = curvatureSpectrumSync(net, data, {
      ...o,
      histogram: { edges: [s.minEigenvalue - 2 * t, s.minEigenvalue - t, s.minEigenvalue + t, s.maxEigenvalue - t, s.maxEigenvalue + t, s.maxEigenvalue + 2 * t] },
    });
    expect(Array.from(c.histogram!.counts)).toEqual([0, 1, net.parameterCount - 2, 1, 0]);
    expect(c.inertia.positive + c.inertia.negative).toBe(net.parameterCount);
    // The histogram's bins cover all P eigenvalues.
    expect(Array.from(s.histogram!.counts).reduce((a, v) => a + v, 0)).toBe(net.parameterCount);
  });

  it('stochastic Lanczos quadrature: weights sum to P and the binned estimate follows the exact histogram', async () => {
    const net = TwoLayerNet.create({ width: 400, inputDim: 1, seed: 2 });
    const edges = [-0.2, -0.05, -0.01, 0, 0.01, 0.05, 0.2, 1];
    const s = await curvatureSpectrum(net, data, { regularization: { gamma: 1e-3 }, histogram: { edges }, density: { probes: 24, steps: 80, seed: 3 } });
    const P = net.parameterCount;
    const total = Array.from(s.density!.weights).reduce((a, w) => a + w, 0);
    expect(Math.abs(total - P) / P).toBeLessThan(1e-10);
    const exact = s.histogram!.counts;
    const est = s.histogram!.densityCounts!;
    let l1 = 0;
    for (let b = 0; b < exact.length; b++) l1 += Math.abs(exact[b]! - est[b]!);
    expect(l1 / P).toBeLessThan(0.15);
    // Reproducible from the seed.
    const again = curvatureSpectrumSync(net, data, { regularization: { gamma: 1e-3 }, histogram: { edges }, density: { probes: 24, steps: 80, seed: 3 } });
    expect(Array.from(again.density!.nodes)).toEqual(Array.from(s.density!.nodes));
  });
});

describe('curvatureSpectrum options: bad input', () => {
  const net = TwoLayerNet.create({ width: 10, inputDim: 1, seed: 1 });
  const data = datasets.paperFigure1();
  const reg = { regularization: { gamma: 1e-3 } };
  it('refuses what does not make sense, with a code', () => {
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, method: 'bisection', smallest: 2 }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, method: 'nope' as never }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, smallest: 31 }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, smallest: 1.5 }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, histogram: { edges: [0, 0] } }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, histogram: { edges: [0, NaN] } }), 'E_NONFINITE');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, histogram: { bins: 0 } }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, histogram: { bins: 3, edges: [0, 1] } }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, density: { probes: 0 } }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, density: { steps: 1e6 } }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, eigenvectors: 1 as never }), 'E_ARGUMENT');
    expectCode(() => curvatureSpectrumSync(net, data, { ...reg, eigenvectors: true, smallest: 5, memoryLimitBytes: 2000 }), 'E_TOO_LARGE');
  });
});
