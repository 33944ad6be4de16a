/**
 * Losses beyond the square one (docs/MATH.md section 1.3): logistic and Huber. Every number is checked
 * against a computation written here: the loss from predict() and the formulas, the gradient and the
 * Hessian by finite differences of the loss, J^T diag(l'') J / M from the Jacobian, the weighted NTK from
 * J, the structured solver against the dense one, and the spectrum against the dense eigenvalues.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Dataset,
  datasets,
  type Loss,
  type LossOptions,
  curvatureSpectrumSync,
  loadDataset,
  newtonStepSync,
  nntkCrossSync,
  nntkGramSync,
  ntkGramSync,
  train,
  TwoLayerNet,
} from '../src/index.js';
import { centralDifference, expectCode, expectSameStep, flatten, gaussSolve, jacobiEigenvalues, maxAbs, relativeError, unflatten } from './helpers.js';

/** A regression or classification problem at inputDim d with M points. */
function problem(loss: Loss, M: number, d: number, seed: number) {
  const net = TwoLayerNet.create({ width: d === 1 ? 30 : 12, inputDim: d, seed, outputScale: 3 });
  const x = Float64Array.from({ length: M * d }, (_, k) => Math.sin(1.7 * k + seed) * 1.5);
  const y = Float64Array.from({ length: M }, (_, m) => {
    const t = Math.sin(3 * x[m * d]!) + (d > 1 ? x[m * d + 1]! : 0);
    if (loss === 'logistic') return t > 0 ? 1 : -1;
    return 2.5 * t;
  });
  return { net, data: Dataset.create({ x, y, inputDim: d }) };
}

/** l(f, y), l'(f, y) and l''(f, y) written out (MATH.md section 1.3), for the checks below. */
function lossTerms(loss: Loss, f: number, y: number, delta: number): [number, number, number] {
  if (loss === 'square') return [0.5 * (f - y) ** 2, f - y, 1];
  if (loss === 'logistic') {
    const t = y * f;
    const s = 1 / (1 + Math.exp(t));  // sigmoid(-t)
    return [Math.log1p(Math.exp(-t)), -y * s, s * (1 - s)];
  }
  const u = f - y;
  return Math.abs(u) <= delta ? [0.5 * u * u, u, 1] : [delta * (Math.abs(u) - delta / 2), delta * Math.sign(u), 0];
}

/** The Huber width halfway between two sorted |f - y|, so that no point sits near the kink (finite differences). */
function huberWidth(net: TwoLayerNet, data: Dataset): number {
  const f = net.predict(data.x);
  const u = Array.from(f, (v, m) => Math.abs(v - data.y[m]!)).sort((a, b) => a - b);
  const k = Math.floor(u.length / 2);
  return 0.5 * (u[k - 1]! + u[k]!);
}

function optionsFor(loss: Loss, net: TwoLayerNet, data: Dataset): LossOptions {
  return loss === 'huber' ? { loss, huberDelta: huberWidth(net, data) } : { loss };
}

function shifted(net: TwoLayerNet, k: number, delta: number): TwoLayerNet {
  const flat = flatten(net.parameters(), net.width, net.inputDim);
  flat[k] = flat[k]! + delta;
  return TwoLayerNet.fromParameters({ ...unflatten(flat, net.width, net.inputDim), beta: net.beta, activation: net.activation, outputScale: net.outputScale });
}

const LOSSES: Loss[] = ['logistic', 'huber'];

describe('loss values and derivatives', () => {
  for (const loss of LOSSES) {
    it(`${loss}: L, the gradient and the Hessian against the formulas and finite differences`, () => {
      const { net, data } = problem(loss, 10, 1, 4);
      const o = optionsFor(loss, net, data);
      const delta = o.huberDelta ?? 1;
      const f = net.predict(data.x);
      let L = 0;
      for (let m = 0; m < data.size; m++) L += lossTerms(loss, f[m]!, data.y[m]!, delta)[0];
      expect(relativeError([net.loss(data, o)], [L / data.size])).toBeLessThan(1e-14);

      const P = net.parameterCount;
      const g = flatten(net.gradient(data, o), net.width, net.inputDim);
      const H = net.hessian(data, o);
      for (const k of [0, 5, 31, 62, P - 1]) {
        const fd = centralDifference((h) => shifted(net, k, h).loss(data, o), 1e-4);
        expect(Math.abs(g[k]! - fd)).toBeLessThan(1e-8 * (Math.abs(fd) + 1e-3));
        const fdRow = centralDifference((h) => flatten(shifted(net, k, h).gradient(data, o), net.width, net.inputDim), 1e-4);
        expect(maxAbs(H.subarray(k * P, (k + 1) * P).map((v, j) => v - fdRow[j]!))).toBeLessThan(1e-7 * maxAbs(fdRow));
      }

      // Gauss-Newton: J^T diag(l'') J / M from the Jacobian.
      const J = net.jacobian(data);
      const M = data.size;
      const w = Array.from(f, (v, m) => lossTerms(loss, v, data.y[m]!, delta)[2]);
      const GN = net.hessian(data, { ...o, curvature: 'gauss-newton' });
      let worst = 0;
      for (let a = 0; a < P; a++)
        for (let b = 0; b < P; b++) {
          let s = 0;
          for (let m = 0; m < M; m++) s += J[m * P + a]! * w[m]! * J[m * P + b]!;
          worst = Math.max(worst, Math.abs(GN[a * P + b]! - s / M));
        }
      expect(worst).toBeLessThan(1e-14 * maxAbs(GN) * M);
    });
  }

  it('logistic labels 0 / 1 give the same loss, steps and kernels as -1 / 1; other labels are refused', () => {
    const { net, data } = problem('logistic', 12, 1, 2);
    const bits = Dataset.create({ x: data.x, y: data.y.map((v) => (v + 1) / 2) });
    expect(net.loss(bits, { loss: 'logistic' })).toBe(net.loss(data, { loss: 'logistic' }));
    const o = { regularization: { lambda: 1e-3 }, loss: 'logistic' as const };
    expectSameStep(newtonStepSync(net, bits, o), newtonStepSync(net, data, o));
    expect(ntkGramSync(net, bits, { loss: 'logistic' })).toEqual(ntkGramSync(net, data, { loss: 'logistic' }));
    const regression = problem('square', 12, 1, 2).data;
    expect(expectCode(() => net.loss(regression, { loss: 'logistic' }), 'E_ARGUMENT').message).toMatch(/binary labels/);
    expectCode(() => newtonStepSync(net, regression, o), 'E_ARGUMENT');
  });

  it('bad loss options are refused with E_ARGUMENT: unknown name, huberDelta without huber, huberDelta <= 0', () => {
    const { net, data } = problem('huber', 8, 1, 1);
    expectCode(() => net.loss(data, { loss: 'hinge' as Loss }), 'E_ARGUMENT');
    expect(expectCode(() => net.loss(data, { huberDelta: 0.5 }), 'E_ARGUMENT').message).toMatch(/huber/);
    expectCode(() => net.loss(data, { loss: 'huber', huberDelta: 0 }), 'E_ARGUMENT');
    expectCode(() => net.loss(data, { loss: 'huber', huberDelta: Number.NaN }), 'E_NONFINITE');
    expectCode(() => ntkGramSync(net, data, { loss: 'huber', huberDelta: -1 }), 'E_ARGUMENT');
    // The closed-form predictor and the cross kernels are for the square loss only.
    expectCode(() => nntkCrossSync(net, data, data.x, { regularization: { lambda: 1 }, loss: 'huber' } as never), 'E_ARGUMENT');
  });

  it("loss 'square' given explicitly is bitwise today's default", () => {
    const { net, data } = problem('square', 9, 3, 3);
    const o = { regularization: { lambda: 1e-2 } };
    expectSameStep(newtonStepSync(net, data, { ...o, loss: 'square' }), newtonStepSync(net, data, o));
    expect(nntkGramSync(net, data, { ...o, loss: 'square' })).toEqual(nntkGramSync(net, data, o));
  });
});

describe('solvers and kernels with a loss', () => {
  for (const loss of LOSSES)
    for (const d of [1, 3])
      for (const curvature of ['newton', 'gauss-newton'] as const) {
        it(`${loss}, inputDim ${d}, ${curvature}: structured = dense (step, inertia, extremes) to 1e-12`, () => {
          const { net, data } = problem(loss, 14, d, 7 + d);
          const o = { ...optionsFor(loss, net, data), regularization: { lambda: 2e-3 }, curvature, spectrum: 'extremal' as const };
          const dense = newtonStepSync(net, data, { ...o, solver: 'dense' });
          const structured = newtonStepSync(net, data, { ...o, solver: 'structured' });
          const flatD = flatten(dense.step, net.width, d);
          const flatS = flatten(structured.step, net.width, d);
          expect(relativeError(flatS, flatD)).toBeLessThan(1e-12);
          expect(structured.inertia).toEqual(dense.inertia);
          const radius = Math.max(Math.abs(dense.minEigenvalue!), Math.abs(dense.maxEigenvalue!));
          expect(Math.abs(structured.minEigenvalue! - dense.minEigenvalue!)).toBeLessThan(1e-12 * radius);
          expect(Math.abs(structured.maxEigenvalue! - dense.maxEigenvalue!)).toBeLessThan(1e-12 * radius);
          // The step solves (C + lambda I) s = -grad L with C the loss's curvature.
          const P = net.parameterCount;
          const C = net.hessian(data, { loss: o.loss, huberDelta: o.huberDelta, curvature });
          const g = flatten(net.gradient(data, { loss: o.loss, huberDelta: o.huberDelta }), net.width, d);
          const res = new Float64Array(P);
          for (let a = 0; a < P; a++) {
            let s = g[a]! + 2e-3 * flatD[a]!;
            for (let b = 0; b < P; b++) s += C[a * P + b]! * flatD[b]!;
            res[a] = s;
          }
          expect(maxAbs(res)).toBeLessThan(1e-10 * maxAbs(g));
        });
      }

  for (const loss of LOSSES) {
    it(`${loss}: the weighted NTK H B H and NNTK H J (C + lambda I)^-1 J^T H / M against J and the dense step`, () => {
      const { net, data } = problem(loss, 10, 1, 5);
      const o = optionsFor(loss, net, data);
      const delta = o.huberDelta ?? 1;
      const M = data.size;
      const P = net.parameterCount;
      const J = net.jacobian(data);
      const f = net.predict(data.x);
      const root = Array.from(f, (v, m) => Math.sqrt(lossTerms(loss, v, data.y[m]!, delta)[2]));
      const K = ntkGramSync(net, data, o);
      let worst = 0;
      for (let a = 0; a < M; a++)
        for (let b = 0; b < M; b++) {
          let s = 0;
          for (let p = 0; p < P; p++) s += J[a * P + p]! * J[b * P + p]!;
          worst = Math.max(worst, Math.abs(K[a * M + b]! - (root[a]! * root[b]! * s) / M));
        }
      expect(worst).toBeLessThan(1e-14 * P * maxAbs(K));

      // NNTK column b: H J (C + lambda I)^-1 J^T H e_b / M, with (C + lambda I)^-1 from dense eigenvalues.
      const lambda = 1e-2;
      const C = net.hessian(data, o);
      for (let p = 0; p < P; p++) C[p * P + p]! += lambda;
      const N = nntkGramSync(net, data, { ...o, regularization: { lambda } });
      const sym = (b: Float64Array) => gaussSolve(C, b, P);
      worst = 0;
      for (let b = 0; b < M; b++) {
        const rhs = Float64Array.from({ length: P }, (_, p) => (J[b * P + p]! * root[b]!) / M);
        const v = sym(rhs);
        for (let a = 0; a < M; a++) {
          let s = 0;
          for (let p = 0; p < P; p++) s += J[a * P + p]! * v[p]!;
          worst = Math.max(worst, Math.abs(N[a * M + b]! - root[a]! * s));
        }
      }
      expect(worst).toBeLessThan(1e-9 * maxAbs(N));
    });
  }

  it('curvatureSpectrum with a loss: extremes and a histogram count against the dense eigenvalues', () => {
    for (const loss of LOSSES) {
      const { net, data } = problem(loss, 12, 1, 9);
      const o = optionsFor(loss, net, data);
      const lambda = 1e-3;
      const C = net.hessian(data, o);
      const P = net.parameterCount;
      for (let p = 0; p < P; p++) C[p * P + p]! += lambda;
      const eig = jacobiEigenvalues(C, P);
      const s = curvatureSpectrumSync(net, data, { ...o, regularization: { lambda }, smallest: 2, largest: 2, histogram: { edges: [-1, 0, 1e-3 * 1.5, 10] } });
      const radius = Math.max(Math.abs(eig[0]!), Math.abs(eig[P - 1]!));
      expect(Math.abs(s.smallest[0]! - eig[0]!)).toBeLessThan(1e-10 * radius);
      expect(Math.abs(s.largest[0]! - eig[P - 1]!)).toBeLessThan(1e-10 * radius);
      const count = (lo: number, hi: number) => eig.filter((v) => v >= lo && v < hi).length;
      expect(Array.from(s.histogram!.counts)).toEqual([count(-1, 0), count(0, 1.5e-3), count(1.5e-3, 10)]);
    }
  });
});

describe('training with a loss', () => {
  it('logistic on two moons: records carry accuracy; Newton, Gauss-Newton, gd and Adam lower the loss; Gauss-Newton separates the classes', async () => {
    const data = datasets.twoMoons({ points: 40, noise: 0.05, seed: 3 });
    const net = TwoLayerNet.create({ width: 64, inputDim: 2, seed: 1 });
    for (const method of ['newton', 'gauss-newton', 'gd', 'adam'] as const) {
      const run = await train(net, data, { method, iterations: method === 'gd' || method === 'adam' ? 200 : 30, loss: 'logistic' });
      const first = run.history[0]!;
      const last = run.history.at(-1)!;
      expect(last.loss).toBeLessThan(first.loss);
      for (const r of run.history) {
        expect(r.accuracy).toBeGreaterThanOrEqual(0);
        expect(r.accuracy).toBeLessThanOrEqual(1);
      }
      // The record's accuracy is the fraction of points with y f > 0 of the network it describes.
      const f = run.net.predict(data.x);
      const correct = Array.from(f).filter((v, m) => v * data.y[m]! > 0).length / data.size;
      expect(last.accuracy).toBe(correct);
      expect(run.net.loss(data, { loss: 'logistic' })).toBeCloseTo(last.loss, 14);
      if (method === 'gauss-newton') expect(last.accuracy).toBe(1);
    }
  });

  it('huber: the trained loss is the Huber loss of the returned network, and the square loss has no accuracy', async () => {
    const { net, data } = problem('huber', 16, 1, 6);
    const run = await train(net, data, { method: 'gauss-newton', iterations: 10, loss: 'huber', huberDelta: 0.3 });
    expect(run.history.at(-1)!.loss).toBeLessThan(run.history[0]!.loss);
    expect(run.net.loss(data, { loss: 'huber', huberDelta: 0.3 })).toBe(run.history.at(-1)!.loss);
    expect(run.history[0]!.accuracy).toBeUndefined();
    await expect(train(net, data, { method: 'gd', iterations: 1, loss: 'huber', diagnostics: { ntkModes: true } })).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });
});

describe('classification data', () => {
  it('twoMoons: balanced classes, seeded, labels as signs or bits', () => {
    const a = datasets.twoMoons({ points: 30, seed: 5 });
    const b = datasets.twoMoons({ points: 30, seed: 5 });
    expect(a.inputDim).toBe(2);
    expect(a.x).toEqual(b.x);
    expect(Array.from(a.y).filter((v) => v === 1).length).toBe(15);
    expect(new Set(a.y)).toEqual(new Set([-1, 1]));
    expect(new Set(datasets.twoMoons({ points: 30, seed: 5, labels: 'bits' }).y)).toEqual(new Set([0, 1]));
    expect(datasets.twoMoons({ points: 30, seed: 6 }).x).not.toEqual(a.x);
    // Without noise every point lies on its half circle.
    const clean = datasets.twoMoons({ points: 20, noise: 0 });
    for (let m = 0; m < 20; m++) {
      const [u, v] = [clean.x[2 * m]!, clean.x[2 * m + 1]!];
      const r = clean.y[m] === 1 ? Math.hypot(u, v) : Math.hypot(1 - u, 0.5 - v);
      expect(r).toBeCloseTo(1, 14);
    }
    expectCode(() => datasets.twoMoons({ points: 1 }), 'E_ARGUMENT');
    expectCode(() => datasets.twoMoons({ labels: 'ones' as 'bits' }), 'E_ARGUMENT');
  });

  it('loadDataset reads CSV and JSON classification files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nntk-loss-'));
    writeFileSync(join(dir, 'points.csv'), 'u,v,label\n0.1,0.2,1\n-0.3,0.5,0\n0.7,-0.1,1\n');
    writeFileSync(join(dir, 'points.json'), JSON.stringify({ x: [[0.1, 0.2], [-0.3, 0.5], [0.7, -0.1]], y: [1, -1, 1] }));
    const csv = loadDataset(join(dir, 'points.csv'));
    const json = loadDataset(join(dir, 'points.json'));
    expect(csv.inputDim).toBe(2);
    expect(csv.x).toEqual(json.x);
    const net = TwoLayerNet.create({ width: 6, inputDim: 2, seed: 1 });
    expect(net.loss(csv, { loss: 'logistic' })).toBe(net.loss(json, { loss: 'logistic' }));
    expectCode(() => loadDataset(join(dir, 'missing.csv')), 'E_ARGUMENT');
  });
});

describe('every loss x trainable subset x init x curvature x solver (dense, structured, primal)', () => {
  const SUBSETS = [['W'], ['b'], ['c'], ['W', 'b'], ['W', 'c'], ['b', 'c'], ['W', 'b', 'c']] as const;
  for (const loss of ['square', ...LOSSES] as Loss[])
    for (const d of [1, 3])
      it(`${loss}, inputDim ${d}: gradient and Hessian against finite differences in the trainable coordinates; structured = dense`, () => {
        const M = 9;
        const x = Float64Array.from({ length: M * d }, (_, k) => Math.sin(1.3 * k + d));
        const y = Float64Array.from({ length: M }, (_, m) => (loss === 'logistic' ? (Math.cos(2 * x[m * d]!) > 0.3 ? 1 : -1) : 2 * Math.cos(2 * x[m * d]!)));
        const data = Dataset.create({ x, y, inputDim: d });
        for (const trainable of SUBSETS)
          for (const init of ['paper', 'symmetric'] as const) {
            const net = TwoLayerNet.create({ width: 6, inputDim: d, seed: 3, init, trainable: [...trainable], outputScale: 1.7, outputWeights: init === 'paper' ? 'signs' : 'uniform' });
            const o = optionsFor(loss, net, data);
            const q = d + 2;
            const active: number[] = [];
            for (let i = 0; i < 6; i++) {
              if (trainable.includes('W' as never)) for (let j = 0; j < d; j++) active.push(i * q + j);
              if (trainable.includes('b' as never)) active.push(i * q + d);
              if (trainable.includes('c' as never)) active.push(i * q + d + 1);
            }
            const Pp = active.length;
            expect(net.trainableCount).toBe(Pp);
            const g = flatten(net.gradient(data, o), 6, d);
            const H = net.hessian(data, o);
            const full = (k: number, h: number) => shifted(TwoLayerNet.fromParameters({ ...net.parameters(), beta: net.beta, activation: net.activation, outputScale: net.outputScale }), k, h);
            for (const a of [0, Pp - 1]) {
              const k = active[a]!;
              const fd = centralDifference((h) => full(k, h).loss(data, o), 1e-4);
              expect(Math.abs(g[k]! - fd)).toBeLessThan(1e-8 * (Math.abs(fd) + 1e-3));
              const row = centralDifference((h) => flatten(full(k, h).gradient(data, o), 6, d), 1e-4);
              const want = Float64Array.from(active, (j) => row[j]!);
              expect(maxAbs(H.subarray(a * Pp, (a + 1) * Pp).map((v, j) => v - want[j]!))).toBeLessThan(1e-7 * (maxAbs(want) + 1e-6));
            }
            for (const curvature of ['newton', 'gauss-newton'] as const) {
              const s = { ...o, regularization: { lambda: 0.05 }, curvature, spectrum: 'extremal' as const };
              const dense = newtonStepSync(net, data, { ...s, solver: 'dense' });
              const structured = newtonStepSync(net, data, { ...s, solver: 'structured' });
              expect(relativeError(flatten(structured.step, 6, d), flatten(dense.step, 6, d))).toBeLessThan(1e-12);
              expect(structured.inertia).toEqual(dense.inertia);
              const radius = Math.max(Math.abs(dense.minEigenvalue!), Math.abs(dense.maxEigenvalue!));
              expect(Math.abs(structured.minEigenvalue! - dense.minEigenvalue!)).toBeLessThan(1e-12 * radius);
              expect(Math.abs(structured.maxEigenvalue! - dense.maxEigenvalue!)).toBeLessThan(1e-12 * radius);
              if (curvature === 'gauss-newton') {
                // The primal QR solver with rows weighted by l''^1/2 (Huber's zero rows included).
                const primal = newtonStepSync(net, data, { ...s, solver: 'primal' });
                expect(relativeError(flatten(primal.step, 6, d), flatten(dense.step, 6, d))).toBeLessThan(1e-12);
                expect(Math.abs(primal.minEigenvalue! - dense.minEigenvalue!)).toBeLessThan(1e-12 * radius);
                expect(Math.abs(primal.maxEigenvalue! - dense.maxEigenvalue!)).toBeLessThan(1e-12 * radius);
              }
            }
          }
      });
});
