/**
 * Kernels at test points and the linearized predictor (docs/MATH.md section 5, "Predictions"): the cross kernels
 * against dense Jacobians and dense solves; the predictor against the step-by-step trajectory, against closed
 * forms, and against finite-width networks trained with small steps (agreement improving with width).
 */
import { describe, expect, it } from 'vitest';
import {
  Dataset,
  datasets,
  LinearizedPredictor,
  linearizedPredictor,
  linearizedTrajectory,
  nntkCross,
  nntkCrossSync,
  nntkGramSync,
  ntkCrossSync,
  ntkGramSync,
  train,
  TwoLayerNet,
} from '../src/index.js';
import { expectCode, maxAbs, randomDataset, rng, uniforms } from './helpers.js';

/** Solves A X = B for a dense symmetric A (n x n) and B (n x k), both row-major, by Gaussian elimination. */
function solve(A: Float64Array, B: Float64Array, n: number, k: number): Float64Array {
  const a = Float64Array.from(A);
  const b = Float64Array.from(B);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    for (let j = 0; j < n; j++) [a[c * n + j], a[p * n + j]] = [a[p * n + j]!, a[c * n + j]!];
    for (let j = 0; j < k; j++) [b[c * k + j], b[p * k + j]] = [b[p * k + j]!, b[c * k + j]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / a[c * n + c]!;
      for (let j = c; j < n; j++) a[r * n + j]! -= f * a[c * n + j]!;
      for (let j = 0; j < k; j++) b[r * k + j]! -= f * b[c * k + j]!;
    }
  }
  for (let c = n - 1; c >= 0; c--)
    for (let j = 0; j < k; j++) {
      let s = b[c * k + j]!;
      for (let r = c + 1; r < n; r++) s -= a[c * n + r]! * b[r * k + j]!;
      b[c * k + j] = s / a[c * n + c]!;
    }
  return b;
}

function relative(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < a.length; k++) {
    num = Math.max(num, Math.abs(a[k]! - b[k]!));
    den = Math.max(den, Math.abs(b[k]!));
  }
  return num / den;
}

describe('cross kernels against dense computations', () => {
  for (const { width, d, M, Mt } of [
    { width: 30, d: 1, M: 12, Mt: 5 },
    { width: 20, d: 2, M: 9, Mt: 7 },
  ]) {
    const data = randomDataset(3 + width, M, d);
    const test = Float64Array.from(uniforms(rng(99), Mt * d));
    const probe = Dataset.create({ x: test, y: new Float64Array(Mt), inputDim: d });
    const net = TwoLayerNet.create({ width, inputDim: d, seed: 8 });
    const P = net.parameterCount;
    const J = net.jacobian(data);
    const Jt = net.jacobian(probe);
    it(`NTK, width ${width}, inputDim ${d}`, () => {
      const k = ntkCrossSync(net, data, test);
      const ref = new Float64Array(Mt * M);
      for (let r = 0; r < Mt; r++)
        for (let m = 0; m < M; m++) {
          let s = 0;
          for (let p = 0; p < P; p++) s += Jt[r * P + p]! * J[m * P + p]!;
          ref[r * M + m] = s / M;
        }
      expect(relative(k.cross, ref)).toBeLessThan(1e-13);
      for (let r = 0; r < Mt; r++) {
        let s = 0;
        for (let p = 0; p < P; p++) s += Jt[r * P + p]! ** 2;
        expect(Math.abs(k.diagonal[r]! - s / M) / (s / M)).toBeLessThan(1e-13);
      }
    });
    for (const curvature of ['newton', 'gauss-newton'] as const) {
      it(`NNTK (${curvature}), width ${width}, inputDim ${d}`, async () => {
        const o = { regularization: { gamma: 1e-2 }, curvature };
        const k = await nntkCross(net, data, test, o);
        const lambda = 1e-2 * width ** (1 - 2 * net.beta);
        const H = curvature === 'newton' ? net.hessian(data) : new Float64Array(P * P);
        if (curvature === 'gauss-newton') {
          for (let a = 0; a < P; a++)
            for (let b = 0; b < P; b++) {
              let s = 0;
              for (let m = 0; m < M; m++) s += J[m * P + a]! * J[m * P + b]!;
              H[a * P + b] = s / M;
            }
        }
        for (let a = 0; a < P; a++) H[a * P + a]! += lambda;
        // X = (C + lambda I)^-1 [J^T, Jt^T]
        const rhs = new Float64Array(P * (M + Mt));
        for (let p = 0; p < P; p++) {
          for (let m = 0; m < M; m++) rhs[p * (M + Mt) + m] = J[m * P + p]!;
          for (let r = 0; r < Mt; r++) rhs[p * (M + Mt) + M + r] = Jt[r * P + p]!;
        }
        const X = solve(H, rhs, P, M + Mt);
        const ref = new Float64Array(Mt * M);
        const diag = new Float64Array(Mt);
        for (let r = 0; r < Mt; r++) {
          for (let m = 0; m < M; m++) {
            let s = 0;
            for (let p = 0; p < P; p++) s += Jt[r * P + p]! * X[p * (M + Mt) + m]!;
            ref[r * M + m] = s / M;
          }
          let s = 0;
          for (let p = 0; p < P; p++) s += Jt[r * P + p]! * X[p * (M + Mt) + M + r]!;
          diag[r] = s / M;
        }
        expect(relative(k.cross, ref)).toBeLessThan(1e-9);
        expect(relative(k.diagonal, diag)).toBeLessThan(1e-9);
      });
    }
  }

  it('at the training points the cross kernels are the Grams themselves', () => {
    const data = datasets.paperFigure1();
    const net = TwoLayerNet.create({ width: 300, inputDim: 1, seed: 2 });
    expect(relative(ntkCrossSync(net, data, data.x).cross, ntkGramSync(net, data))).toBeLessThan(1e-13);
    const o = { regularization: { gamma: 1e-3 } };
    const c = nntkCrossSync(net, data, data.x, o);
    const K = nntkGramSync(net, data, o);
    expect(relative(c.cross, K)).toBeLessThan(1e-9);
    for (let m = 0; m < data.size; m++) expect(Math.abs(c.diagonal[m]! - K[m * data.size + m]!)).toBeLessThan(1e-9);
  });

  it('bad input is refused with a code', () => {
    const data = datasets.paperFigure1();
    const net = TwoLayerNet.create({ width: 5, inputDim: 1, seed: 2 });
    expectCode(() => ntkCrossSync(net, data, new Float64Array(0)), 'E_SHAPE');
    expectCode(() => ntkCrossSync(net, data, Float64Array.of(NaN)), 'E_NONFINITE');
    expectCode(() => ntkCrossSync(net, data, ['1', 2] as never), 'E_ARGUMENT');
    expect(ntkCrossSync(net, data, [0.5, -0.25])).toEqual(ntkCrossSync(net, data, Float64Array.of(0.5, -0.25)));
    expectCode(() => nntkCrossSync(net, data, Float64Array.of(0.5), {} as never), 'E_ARGUMENT');
    expectCode(() => ntkCrossSync(net, data, Float64Array.of(0.5), { memoryLimitBytes: 10 }), 'E_TOO_LARGE');
  });
});

describe('LinearizedPredictor', () => {
  const data = datasets.paperFigure1();
  const net = TwoLayerNet.create({ width: 200, inputDim: 1, seed: 1 });
  const M = data.size;

  it('reproduces the step-by-step trajectory, and at t = 10^6 stays finite and converged', () => {
    const K = nntkGramSync(net, data, { regularization: { gamma: 1e-2 }, curvature: 'gauss-newton' });
    const f0 = net.predict(data.x);
    const p = new LinearizedPredictor({ kernel: K, y: data.y, f0, alpha: 0.7 });
    const ref = linearizedTrajectory(K, data.y, f0, { steps: 25, alpha: 0.7 });
    for (const t of [0, 1, 2, 10, 25]) expect(maxAbs(p.predict(t).train.map((v, m) => v - ref[t * M + m]!))).toBeLessThan(1e-12);
    // t = 10^6 against (I - alpha K)^(10^6) by 20 dense squarings: y - f_t = (I - alpha K)^t (y - f_0).
    let A = new Float64Array(M * M);
    for (let a = 0; a < M; a++) for (let b = 0; b < M; b++) A[a * M + b] = (a === b ? 1 : 0) - 0.7 * K[a * M + b]!;
    const square = (X: Float64Array, Y: Float64Array) => {
      const Z = new Float64Array(M * M);
      for (let a = 0; a < M; a++) for (let c = 0; c < M; c++) { let s = 0; for (let b = 0; b < M; b++) s += X[a * M + b]! * Y[b * M + c]!; Z[a * M + c] = s; }
      return Z;
    };
    let power = new Float64Array(M * M);
    for (let a = 0; a < M; a++) power[a * M + a] = 1;
    for (let e = 1e6; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) power = square(power, A);
      A = square(A, A);
    }
    const late = p.predict(1e6).train;
    for (let a = 0; a < M; a++) {
      let s = 0;
      for (let b = 0; b < M; b++) s += power[a * M + b]! * (data.y[b]! - f0[b]!);
      expect(Math.abs(late[a]! - (data.y[a]! - s))).toBeLessThan(1e-9);
    }
    expect(p.loss(1e6)).toBeLessThan(p.loss(10));
  });

  it('closed forms: a diagonal kernel, continuous time, and test points equal to the training points', () => {
    const kappa = [0.5, 1e-9, 0];
    const K = new Float64Array(9);
    kappa.forEach((k, i) => (K[i * 3 + i] = k));
    const y = Float64Array.of(1, 2, 3);
    const f0 = Float64Array.of(0, 0, 0);
    const x = Float64Array.of(0.25, -1);
    const cross = Float64Array.of(0.5, 0, 0, 0, 1e-9, 0); // rows: test points on directions 0 and 1
    const p = new LinearizedPredictor({ kernel: K, y, f0, cross, f0Test: x, alpha: 0.1 });
    const t = 1000;
    const f = p.predict(t);
    for (let i = 0; i < 3; i++) expect(f.train[i]).toBeCloseTo(y[i]! - (1 - 0.1 * kappa[i]!) ** t * y[i]!, 12);
    // f_t(x) = f_0(x) + sum_k K(x, k) (1 - (1 - alpha kappa)^t) / kappa * (y - f0)_k
    expect(f.test![0]).toBeCloseTo(0.25 + 0.5 * ((1 - 0.95 ** t) / 0.5) * 1, 12);
    // 1 - (1 - e)^t by its binomial series (e = 1e-10, t = 1000), free of the cancellation of the direct form.
    const e = 1e-10;
    const series = t * e - ((t * (t - 1)) / 2) * e ** 2 + ((t * (t - 1) * (t - 2)) / 6) * e ** 3;
    expect(Math.abs(f.test![1]! - (-1 + 1e-9 * (series / 1e-9) * 2)) / 2e-7).toBeLessThan(1e-9);
    const c = new LinearizedPredictor({ kernel: K, y, f0, alpha: 0.1, time: 'continuous' });
    expect(c.predict(3).train[0]).toBeCloseTo(1 - Math.exp(-0.05 * 3), 14);
    const same = new LinearizedPredictor({ kernel: K, y, f0, cross: K, f0Test: f0, alpha: 0.1 }).predict(37);
    expect(maxAbs(same.test!.map((v, i) => v - same.train[i]!))).toBeLessThan(1e-13);
    expectCode(() => new LinearizedPredictor({ kernel: K, y, f0, alpha: 100 }).predict(0.5), 'E_ARGUMENT');
    expectCode(() => new LinearizedPredictor({ kernel: K, y, f0, alpha: 100 }).predict(1e5), 'E_NONFINITE');
    expectCode(() => new LinearizedPredictor({ kernel: K, y, f0, cross }), 'E_ARGUMENT');
  });

  it('predicts a wide network trained by gradient descent and by Newton with small steps, better as the width grows', async () => {
    const test = Float64Array.from({ length: 9 }, (_, k) => -0.05 + (k * 1.1) / 8);
    const errors: Record<string, number[]> = { gd: [], newton: [], 'gauss-newton': [] };
    // gamma 0.1 keeps C + lambda I positive definite at these widths (at 1e-2 a fifth of its eigenvalues are
    // negative: no lazy regime for Newton to linearize).
    for (const width of [100, 6400]) {
      const w = TwoLayerNet.create({ width, inputDim: 1, seed: 5 });
      for (const method of ['gd', 'newton', 'gauss-newton'] as const) {
        const steps = method === 'gd' ? 40 : 8;
        const o = method === 'gd' ? { method, learningRate: 0.5 } : { method, alpha: 0.1, regularization: { gamma: 1e-1 } };
        const p = await linearizedPredictor(w, data, { ...o, test });
        // Fixed damping, every step taken (an indefinite Newton system too): the dynamics the predictor linearizes.
        const second = method === 'gd' ? {} : { damping: 'fixed' as const, allowIndefinite: true };
        const run = await train(w, data, { ...o, iterations: steps, ...second, record: {} });
        expect(run.stoppedBecause).toBe('iterations');
        const predicted = p.predict(steps).test!;
        const actual = run.net.predict(test);
        const moved = maxAbs(actual.map((v, k) => v - w.predict(test)[k]!));
        errors[method]!.push(maxAbs(actual.map((v, k) => v - predicted[k]!)) / moved);
      }
    }
    for (const method of ['gd', 'newton', 'gauss-newton']) {
      const [narrow, wide] = errors[method]!;
      expect(wide!, method).toBeLessThan(0.5 * narrow!);
      expect(wide!, method).toBeLessThan(0.05);
    }
  });

  it('the limit predictor: the finite-width Newton predictor approaches it as the width grows', async () => {
    const test = Float64Array.of(0.05, 0.5, 0.95);
    const gaps: number[] = [];
    for (const width of [200, 20000]) {
      const w = TwoLayerNet.create({ width, inputDim: 1, seed: 3 });
      const o = { method: 'gauss-newton' as const, regularization: { gamma: 1e-2 }, test };
      const finite = (await linearizedPredictor(w, data, o)).predict(3).test!;
      const limit = (await linearizedPredictor(w, data, { ...o, limit: true })).predict(3).test!;
      gaps.push(maxAbs(finite.map((v, k) => v - limit[k]!)));
    }
    expect(gaps[1]!).toBeLessThan(0.5 * gaps[0]!);
  });

  it('bad options are refused with a code', async () => {
    await expect(linearizedPredictor(net, data, { method: 'gd' })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    await expect(linearizedPredictor(net, data, { method: 'newton' })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    await expect(linearizedPredictor(net, data, { method: 'gd', learningRate: 1, alpha: 2 })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    await expect(linearizedPredictor(net, data, { method: 'sgd' as never })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    await expect(linearizedPredictor(net, data, { method: 'gd', learningRate: 1, test: Float64Array.of(NaN) })).rejects.toMatchObject({ code: 'E_NONFINITE' });
    await expect(linearizedPredictor(net, data, { method: 'gd', learningRate: 1, extra: 1 } as never)).rejects.toMatchObject({ code: 'E_ARGUMENT' });
  });
});
