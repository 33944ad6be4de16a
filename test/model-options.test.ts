/**
 * The model options of the Gauss-Newton paper's setting (docs/MATH.md section 1.1): init 'paper' |
 * 'symmetric' and the output scale a of f = (a / N^beta) sum_i c_i sigma(w_i . x + b_i). Every check is
 * against a computation written here: the mirrored parameters, finite differences of the loss, J J^T / M
 * and a dense Gaussian elimination of (C + lambda I) step = -grad L.
 */
import { describe, expect, it } from 'vitest';
import {
  ACTIVATIONS,
  type Activation,
  datasets,
  linearizedPredictor,
  isStepPoint,
  newtonStepSync,
  nntkGramSync,
  oneStepGridSync,
  ntkGramSync,
  train,
  TwoLayerNet,
} from '../src/index.js';
import { native } from '../src/native.js';
import {
  centralDifference,
  expectCode,
  flatten,
  matTVec,
  maxAbs,
  predictRef,
  randomDataset,
  relativeError,
  rng,
  uniforms,
  unflatten,
  gaussSolve,
} from './helpers.js';

const EPS = 2 ** -52;

/** The same network with flat parameter k shifted by delta, keeping beta, activation and the output scale. */
function shifted(net: TwoLayerNet, k: number, delta: number): TwoLayerNet {
  const flat = flatten(net.parameters(), net.width, net.inputDim);
  flat[k] = flat[k]! + delta;
  return TwoLayerNet.fromParameters({
    ...unflatten(flat, net.width, net.inputDim),
    beta: net.beta,
    activation: net.activation,
    outputScale: net.outputScale,
  });
}

describe("init: 'paper' | 'symmetric'", () => {
  it("'paper' is the default and draws the same numbers as before", () => {
    const plain = TwoLayerNet.create({ width: 9, inputDim: 3, seed: 7 });
    const paper = TwoLayerNet.create({ width: 9, inputDim: 3, seed: 7, init: 'paper' });
    expect(plain.init).toBe('paper');
    expect(paper.init).toBe('paper');
    expect(plain.outputScale).toBe(1);
    expect(paper.parameters()).toEqual(plain.parameters());
    expect(paper.parameters()).toEqual(native().initialize(7, 9, 3));
  });

  it("'symmetric' mirrors the first half: w and b copied, c negated, the first half the paper's draw", () => {
    const width = 10;
    const d = 3;
    const net = TwoLayerNet.create({ width, inputDim: d, seed: 11, init: 'symmetric' });
    expect(net.init).toBe('symmetric');
    const p = net.parameters();
    const paper = TwoLayerNet.create({ width, inputDim: d, seed: 11 }).parameters();
    const H = width / 2;
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < d; j++) {
        expect(p.W[i * d + j]).toBe(paper.W[i * d + j]);
        expect(p.W[(i + H) * d + j]).toBe(p.W[i * d + j]);
      }
      expect(p.b[i]).toBe(paper.b[i]);
      expect(p.b[i + H]).toBe(p.b[i]);
      expect(p.c[i]).toBe(paper.c[i]);
      expect(p.c[i + H]).toBe(-p.c[i]!);
    }
  });

  it('f = 0 at initialization for every input and activation (to the rounding of the sum)', () => {
    const rand = rng(5);
    for (const activation of ACTIVATIONS) {
      for (const [width, d] of [[2, 1], [8, 1], [64, 2], [1200, 3]] as const) {
        const net = TwoLayerNet.create({ width, inputDim: d, seed: 3, init: 'symmetric', activation, outputScale: 2.5 });
        const x = uniforms(rand, 20 * d, -3, 3);
        const f = net.predict(x);
        // In exact arithmetic the pairs cancel; the computed sum of N terms is off by at most ~N eps sum |terms|.
        const { magnitude } = predictRef(net.parameters(), net.beta, activation, x, d);
        for (let m = 0; m < 20; m++) expect(Math.abs(f[m]!)).toBeLessThanOrEqual(2.5 * width * EPS * magnitude[m]!);
        if (width === 2) expect(maxAbs(f)).toBe(0);  // one pair: c sigma + (-c) sigma is exactly 0
      }
    }
  });

  it('an odd width or an unknown init is refused with E_ARGUMENT and a hint', () => {
    const e = expectCode(() => TwoLayerNet.create({ width: 7, inputDim: 1, seed: 1, init: 'symmetric' }), 'E_ARGUMENT');
    expect(e.message).toMatch(/even/);
    expect(e.message).toMatch(/width 8/);
    expectCode(() => TwoLayerNet.create({ width: 4, inputDim: 1, seed: 1, init: 'mirror' as 'paper' }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create({ width: 4, inputDim: 1, seed: 1, init: 1 as unknown as 'paper' }), 'E_ARGUMENT');
  });

  it('withStep keeps init and outputScale; fromParameters says given', () => {
    const net = TwoLayerNet.create({ width: 4, inputDim: 1, seed: 2, init: 'symmetric', outputScale: -3 });
    const zero = { W: new Float64Array(4), b: new Float64Array(4), c: new Float64Array(4) };
    const next = net.withStep(zero);
    expect(next.init).toBe('symmetric');
    expect(next.outputScale).toBe(-3);
    const given = TwoLayerNet.fromParameters({ ...net.parameters(), beta: net.beta, outputScale: -3 });
    expect(given.init).toBe('given');
    expect(given.outputScale).toBe(-3);
    expect(TwoLayerNet.fromParameters({ ...net.parameters(), beta: net.beta }).outputScale).toBe(1);
  });
});

describe('outputScale a: f = (a / N^beta) sum_i c_i sigma_i', () => {
  const width = 6;
  const d = 2;
  const M = 9;
  const a = 2.5;
  const data = randomDataset(17, M, d);
  const P = width * (d + 2);
  const at = (scale: number, activation: Activation = 'tanh') =>
    TwoLayerNet.create({ width, inputDim: d, seed: 4, outputScale: scale, activation });

  it('is validated: finite and nonzero, in create and fromParameters and in the raw addon', () => {
    expectCode(() => at(0), 'E_ARGUMENT');
    expectCode(() => at(Number.NaN), 'E_NONFINITE');
    expectCode(() => at(Number.POSITIVE_INFINITY), 'E_NONFINITE');
    expectCode(() => at('2' as unknown as number), 'E_ARGUMENT');
    const p = at(1).parameters();
    expectCode(() => TwoLayerNet.fromParameters({ ...p, beta: 0.5, outputScale: 0 }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.fromParameters({ ...p, beta: 0.5, outputScale: Number.NaN }), 'E_NONFINITE');
    const raw = { width, inputDim: d, beta: 0.5, activation: 'tanh', ...p };
    const nd = { size: M, inputDim: d, x: data.x, y: data.y };
    expectCode(() => native().loss({ ...raw, outputScale: 0 } as never, nd), 'E_ARGUMENT');
    expectCode(() => native().loss({ ...raw, outputScale: Number.NaN } as never, nd), 'E_NONFINITE');
    expect(native().loss(raw as never, nd)).toBe(native().loss({ ...raw, outputScale: 1 } as never, nd));
  });

  it('predict scales linearly in a (bitwise for powers of two) and matches the term-by-term sum', () => {
    const base = at(1).predict(data.x);
    for (const k of [2, 0.25, -4]) expect(at(k).predict(data.x)).toEqual(base.map((v) => v * k));
    const f = at(a).predict(data.x);
    const ref = predictRef(at(a).parameters(), 0.52, 'tanh', data.x, d);
    for (let m = 0; m < M; m++) {
      expect(Math.abs(f[m]! - a * base[m]!)).toBeLessThanOrEqual(4 * EPS * Math.abs(a * base[m]!));
      expect(Math.abs(f[m]! - a * ref.value[m]!)).toBeLessThanOrEqual(8 * width * EPS * a * ref.magnitude[m]!);
    }
  });

  it('the gradient matches finite differences of the loss at a = 2.5', () => {
    for (const activation of ['tanh', 'softplus', 'sin'] as const) {
      const net = at(a, activation);
      const g = flatten(net.gradient(data), width, d);
      const fd = Float64Array.from({ length: P }, (_, k) => centralDifference((t) => shifted(net, k, t).loss(data), 1e-3));
      expect(relativeError(g, fd)).toBeLessThan(1e-9);
      // and it is not a's: the loss is not linear in a, so g differs from a * (the gradient at a = 1)
      expect(relativeError(g, flatten(at(1, activation).gradient(data), width, d).map((v) => a * v))).toBeGreaterThan(1e-3);
    }
  });

  it('the Jacobian matches finite differences of predict and is a times the Jacobian at a = 1', () => {
    const net = at(a);
    const J = net.jacobian(data);
    const fd = new Float64Array(M * P);
    for (let k = 0; k < P; k++) {
      const col = centralDifference((t) => shifted(net, k, t).predict(data.x), 1e-3);
      for (let m = 0; m < M; m++) fd[m * P + k] = col[m]!;
    }
    expect(relativeError(J, fd)).toBeLessThan(1e-9);
    expect(relativeError(J, at(1).jacobian(data).map((v) => a * v))).toBeLessThan(4 * EPS);
  });

  it('the Newton Hessian matches finite differences of the gradient; Gauss-Newton is J^T J / M', () => {
    const net = at(a);
    const H = net.hessian(data);
    const fd = new Float64Array(P * P);
    for (let k = 0; k < P; k++) {
      const col = centralDifference((t) => flatten(shifted(net, k, t).gradient(data), width, d), 1e-3);
      for (let l = 0; l < P; l++) fd[l * P + k] = col[l]!;
    }
    expect(relativeError(H, fd)).toBeLessThan(1e-8);
    const J = net.jacobian(data);
    const G = net.hessian(data, { curvature: 'gauss-newton' });
    const JtJ = new Float64Array(P * P);
    for (let k = 0; k < P; k++) {
      const col = Float64Array.from({ length: M }, (_, m) => J[m * P + k]!);
      const row = matTVec(J, col, M, P);
      for (let l = 0; l < P; l++) JtJ[k * P + l] = row[l]! / M;
    }
    expect(relativeError(G, JtJ)).toBeLessThan(1e-13);
  });

  it('the dense and structured steps solve (C + lambda I) step = -grad L of the scaled network', () => {
    const net = at(a);
    const g = flatten(net.gradient(data), width, d);
    for (const curvature of ['newton', 'gauss-newton'] as const) {
      const lambda = 0.3;
      const C = net.hessian(data, { curvature });
      for (let k = 0; k < P; k++) C[k * P + k] = C[k * P + k]! + lambda;
      const ref = gaussSolve(C, g.map((v) => -v), P);
      for (const solver of ['dense', 'structured'] as const) {
        const r = newtonStepSync(net, data, { regularization: { lambda }, curvature, solver });
        expect(relativeError(flatten(r.step, width, d), ref), `${curvature} ${solver}`).toBeLessThan(1e-10);
      }
    }
  });

  it('the kernels carry a: NTK = J J^T / M, NNTK = J (C + lambda I)^-1 J^T / M', () => {
    const net = at(a);
    const J = net.jacobian(data);
    const B = ntkGramSync(net, data);
    const ref = new Float64Array(M * M);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < M; n++) {
        let s = 0;
        for (let k = 0; k < P; k++) s += J[m * P + k]! * J[n * P + k]!;
        ref[m * M + n] = s / M;
      }
    expect(relativeError(B, ref)).toBeLessThan(1e-13);
    const lambda = 0.3;
    const C = net.hessian(data);
    for (let k = 0; k < P; k++) C[k * P + k] = C[k * P + k]! + lambda;
    const K = nntkGramSync(net, data, { regularization: { lambda }, curvature: 'newton' });
    const nref = new Float64Array(M * M);
    for (let n = 0; n < M; n++) {
      const Jn = Float64Array.from({ length: P }, (_, k) => J[n * P + k]!);
      const x = gaussSolve(C, Jn, P);
      for (let m = 0; m < M; m++) {
        let s = 0;
        for (let k = 0; k < P; k++) s += J[m * P + k]! * x[k]!;
        nref[m * M + n] = s / M;
      }
    }
    expect(relativeError(K, nref)).toBeLessThan(1e-10);
  });

  it('the limit predictor scales the NTK by a^2: a = 2 with rate r is a = 1 with rate 4 r (f_0 = 0 by symmetry)', async () => {
    const fig = datasets.paperFigure1();
    const sym = (scale: number) => TwoLayerNet.create({ width: 2, inputDim: 1, seed: 0, init: 'symmetric', outputScale: scale });
    const one = await linearizedPredictor(sym(1), fig, { method: 'gd', learningRate: 0.4, limit: true });
    const two = await linearizedPredictor(sym(2), fig, { method: 'gd', learningRate: 0.1, limit: true });
    expect(relativeError(two.predict(7).train, one.predict(7).train)).toBeLessThan(1e-12);
    const newton1 = await linearizedPredictor(sym(1), fig, { method: 'newton', regularization: { gamma: 0.04 }, limit: true });
    const newton2 = await linearizedPredictor(sym(2), fig, { method: 'newton', regularization: { gamma: 0.16 }, limit: true });
    expect(relativeError(newton2.predict(3).train, newton1.predict(3).train)).toBeLessThan(1e-12);
  });

  it('oneStepGrid (the Gauss-Newton grid and the Newton grid) steps the scaled network', () => {
    const net = at(a);
    for (const curvature of ['newton', 'gauss-newton'] as const) {
      const grid = oneStepGridSync(net, data, { regularizations: [{ lambda: 0.3 }, { lambda: 0.01 }], curvature });
      expect(grid.f0).toEqual(net.predict(data.x));
      expect(grid.datasets[0]!.loss).toBe(net.loss(data));
      for (const point of grid.datasets[0]!.points) {
        if (!isStepPoint(point)) throw point.error;
        const r = newtonStepSync(net, data, { regularization: { lambda: point.lambda }, curvature, solver: 'structured' });
        const after = net.withStep(r.step).loss(data);
        expect(Math.abs(point.lossAfter - after) / after, curvature).toBeLessThan(1e-9);
        expect(relativeError(point.nntk, nntkGramSync(net, data, { regularization: { lambda: point.lambda }, curvature })), curvature).toBeLessThan(1e-9);
      }
    }
  });

  it('train returns a network with the same output scale and init', async () => {
    const net = TwoLayerNet.create({ width: 8, inputDim: 2, seed: 1, init: 'symmetric', outputScale: a });
    const run = await train(net, data, { method: 'gd', iterations: 2, learningRate: 0.1 });
    expect(run.net.outputScale).toBe(a);
    expect(run.net.init).toBe('symmetric');
    // one gradient step by hand: theta - 0.1 grad L, twice
    let ref = net;
    for (let t = 0; t < 2; t++) {
      const g = ref.gradient(data);
      ref = ref.withStep(g, -0.1);
    }
    expect(relativeError(run.net.flatParameters(), ref.flatParameters())).toBeLessThan(1e-12);
    // a Newton run's first step is newtonStep's at the scaled network
    const newton = await train(net, data, { method: 'newton', iterations: 1, damping: 'fixed', regularization: { lambda: 0.3 }, solver: 'structured' });
    const first = net.withStep(newtonStepSync(net, data, { regularization: { lambda: 0.3 }, solver: 'structured' }).step);
    expect(newton.net.outputScale).toBe(a);
    expect(relativeError(newton.net.flatParameters(), first.flatParameters())).toBeLessThan(1e-12);
  });
});
