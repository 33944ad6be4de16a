/**
 * TwoLayerNet: predict, loss, gradient, jacobian and hessian against computations written here
 * (docs/MATH.md sections 1-2), plus the bookkeeping of parameters, fromParameters and withStep.
 */
import { describe, expect, it } from 'vitest';
import { Dataset, NntkError, TwoLayerNet, datasets } from '../src/index.js';
import { MAX_PARAMETER_COUNT } from '../src/model.js';
import { native } from '../src/native.js';
import { bad, data, net, net3, overflowData, overflowing, params } from './fixtures/bad-input.js';
import {
  centralDifference,
  expectCode,
  flatten,
  matTVec,
  maxAbs,
  maxAbsDiff,
  perturbed,
  predictRef,
  randomDataset,
  relativeError,
  rng,
  uniforms,
} from './helpers.js';

describe('construction and parameters', () => {
  it('create() uses the documented defaults (beta 0.52, tanh) and P = width (inputDim + 2)', () => {
    const net = TwoLayerNet.create({ width: 7, inputDim: 3, seed: 1 });
    expect(net.beta).toBe(0.52);
    expect(net.activation).toBe('tanh');
    expect(net.width).toBe(7);
    expect(net.inputDim).toBe(3);
    expect(net.parameterCount).toBe(35);
    const p = net.parameters();
    expect(p.W).toBeInstanceOf(Float64Array);
    expect(p.W.length).toBe(21);
    expect(p.b.length).toBe(7);
    expect(p.c.length).toBe(7);
  });

  it('parameters() returns copies: mutating them leaves the network unchanged', () => {
    const net = TwoLayerNet.create({ width: 4, inputDim: 2, seed: 3 });
    const before = net.parameters();
    const loss = net.loss(randomDataset(1, 5, 2));
    const p = net.parameters();
    p.W.fill(9);
    p.b.fill(9);
    p.c.fill(9);
    expect(net.parameters()).toEqual(before);
    expect(net.loss(randomDataset(1, 5, 2))).toBe(loss);
  });

  it('fromParameters() round-trips and copies its inputs', () => {
    const rand = rng(5);
    const W = uniforms(rand, 6);
    const b = uniforms(rand, 3);
    const c = uniforms(rand, 3);
    const net = TwoLayerNet.fromParameters({ W, b, c, beta: 0.7, activation: 'silu' });
    expect(net.width).toBe(3);
    expect(net.inputDim).toBe(2);
    expect(net.beta).toBe(0.7);
    expect(net.activation).toBe('silu');
    const snapshot = { W: Float64Array.from(W), b: Float64Array.from(b), c: Float64Array.from(c) };
    W.fill(0);
    b.fill(0);
    c.fill(0);
    expect(net.parameters()).toEqual(snapshot);
  });

  it('withStep(step, alpha) gives theta + alpha * step and leaves the original alone', () => {
    const net = TwoLayerNet.create({ width: 4, inputDim: 2, seed: 8 });
    const rand = rng(9);
    const step = { W: uniforms(rand, 8), b: uniforms(rand, 4), c: uniforms(rand, 4) };
    const before = net.parameters();
    for (const alpha of [1, 0.25, -3]) {
      const next = net.withStep(step, alpha).parameters();
      for (const key of ['W', 'b', 'c'] as const) {
        expect(Array.from(next[key])).toEqual(Array.from(before[key]).map((v, k) => v + alpha * step[key][k]!));
      }
    }
    const defaultAlpha = net.withStep(step).parameters();
    expect(Array.from(defaultAlpha.c)).toEqual(Array.from(before.c).map((v, k) => v + step.c[k]!));
    expect(net.parameters()).toEqual(before);
  });
});

describe('predict and loss', () => {
  it('predict() handles several rows of inputDim 3 in row-major order', () => {
    const net = TwoLayerNet.create({ width: 9, inputDim: 3, seed: 2, beta: 0.6 });
    const x = uniforms(rng(1), 3 * 11);
    const got = net.predict(x);
    const ref = predictRef(net.parameters(), 0.6, 'tanh', x, 3);
    expect(got.length).toBe(11);
    for (let m = 0; m < 11; m++) expect(Math.abs(got[m]! - ref.value[m]!)).toBeLessThan(1e-14 * ref.magnitude[m]!);
  });

  it('loss() = (1/2M) sum (f(x_m) - y_m)^2', () => {
    for (const d of [1, 2]) {
      const net = TwoLayerNet.create({ width: 6, inputDim: d, seed: 4, activation: 'sin' });
      const data = randomDataset(12, 9, d);
      const f = predictRef(net.parameters(), net.beta, 'sin', data.x, d).value;
      let sum = 0;
      for (let m = 0; m < data.size; m++) sum += (f[m]! - data.y[m]!) ** 2;
      expect(net.loss(data)).toBeCloseTo(sum / (2 * data.size), 14);
      expect(Math.abs(net.loss(data) - sum / (2 * data.size))).toBeLessThan(1e-14 * sum);
    }
  });

  it('a data set built from rows (number[][]) gives the same loss as the flat form', () => {
    const flat = randomDataset(3, 5, 2);
    const rows = Array.from({ length: 5 }, (_, m) => [flat.x[2 * m]!, flat.x[2 * m + 1]!]);
    const fromRows = Dataset.create({ x: rows, y: Array.from(flat.y) });
    const net = TwoLayerNet.create({ width: 5, inputDim: 2, seed: 1 });
    expect(fromRows.inputDim).toBe(2);
    expect(net.loss(fromRows)).toBe(net.loss(flat));
  });
});

describe.each([
  ['tanh', 1],
  ['gelu', 3],
  ['softplus', 2],
] as const)('jacobian and gradient (%s, inputDim %i)', (activation, d) => {
  const width = 6;
  const net = TwoLayerNet.create({ width, inputDim: d, activation, seed: 21 });
  const data = randomDataset(31, 8, d);
  const M = data.size;
  const P = net.parameterCount;
  const J = net.jacobian(data);

  it('is M x P, row-major, neuron-major columns, equal to finite differences of predict()', () => {
    expect(J.length).toBe(M * P);
    const fd = new Float64Array(M * P);
    for (let k = 0; k < P; k++) {
      const col = centralDifference((t) => perturbed(net, k, t).predict(data.x), 1e-3);
      for (let m = 0; m < M; m++) fd[m * P + k] = col[m]!;
    }
    expect(relativeError(J, fd)).toBeLessThan(1e-9);
  });

  it('has the closed form of MATH.md section 2 in the neuron-major column order', () => {
    // df/dc_i = s sigma(z), df/db_i = s c_i sigma'(z), df/dw_ij = s c_i sigma'(z) x_j. Only the c-column
    // needs no derivative: check it exactly against the formula, and the w columns against x_j times the b column.
    const p = net.parameters();
    const s = width ** -net.beta;
    const q = d + 2;
    for (let m = 0; m < M; m++) {
      for (let i = 0; i < width; i++) {
        const single = TwoLayerNet.fromParameters({
          W: p.W.slice(i * d, (i + 1) * d),
          b: p.b.slice(i, i + 1),
          c: Float64Array.of(1),
          beta: 0,
          activation,
        });
        const a = single.predict(data.x.slice(m * d, (m + 1) * d))[0]!;
        expect(J[m * P + i * q + d + 1]).toBeCloseTo(s * a, 15);
        const db = J[m * P + i * q + d]!;
        for (let j = 0; j < d; j++) {
          expect(Math.abs(J[m * P + i * q + j]! - db * data.x[m * d + j]!)).toBeLessThanOrEqual(1e-15 * Math.abs(db) + 1e-300);
        }
      }
    }
  });

  it('gradient() = J^T r / M with r = f - y', () => {
    const f = net.predict(data.x);
    const r = f.map((v, m) => v - data.y[m]!);
    const want = matTVec(J, r, M, P).map((v) => v / M);
    const g = flatten(net.gradient(data), width, d);
    expect(maxAbsDiff(g, want)).toBeLessThan(1e-14 * maxAbs(want));
  });
});

describe('hessian', () => {
  const width = 7;
  const d = 2;
  const net = TwoLayerNet.create({ width, inputDim: d, activation: 'sigmoid', seed: 5 });
  const data = randomDataset(77, 9, d);
  const P = net.parameterCount;
  const q = d + 2;
  const M = data.size;
  const H = net.hessian(data);
  const G = net.hessian(data, { curvature: 'gauss-newton' });
  const J = net.jacobian(data);

  it('is P x P and exactly symmetric, for both curvatures', () => {
    for (const A of [H, G]) {
      expect(A.length).toBe(P * P);
      for (let i = 0; i < P; i++) for (let j = 0; j < i; j++) expect(A[i * P + j]).toBe(A[j * P + i]);
    }
  });

  it("curvature 'gauss-newton' equals J^T J / M computed from jacobian()", () => {
    const want = new Float64Array(P * P);
    for (let i = 0; i < P; i++)
      for (let j = 0; j < P; j++) {
        let s = 0;
        for (let m = 0; m < M; m++) s += J[m * P + i]! * J[m * P + j]!;
        want[i * P + j] = s / M;
      }
    expect(maxAbsDiff(G, want)).toBeLessThan(1e-14 * maxAbs(want));
  });

  it('Newton minus Gauss-Newton is block diagonal over neurons with d2f/dc^2 = 0 (MATH.md section 2)', () => {
    let crossNeuron = 0;
    let inBlock = 0;
    for (let i = 0; i < P; i++)
      for (let j = 0; j < P; j++) {
        const diff = Math.abs(H[i * P + j]! - G[i * P + j]!);
        if (Math.floor(i / q) !== Math.floor(j / q)) crossNeuron = Math.max(crossNeuron, diff);
        else inBlock = Math.max(inBlock, diff);
      }
    expect(inBlock).toBeGreaterThan(1e-6); // the residual term is really there
    expect(crossNeuron).toBeLessThanOrEqual(1e-15 * maxAbs(H));
    for (let i = 0; i < width; i++) {
      const c = i * q + d + 1;
      expect(Math.abs(H[c * P + c]! - G[c * P + c]!)).toBeLessThanOrEqual(1e-15 * maxAbs(H));
    }
  });

  it('the residual blocks D_i match (1/M) sum_m r_m hess f(x_m) written out here', () => {
    // d2f/d(w,b)^2 = s c sigma''(z) xa xa^T, d2f/dc d(w,b) = s sigma'(z) xa, with sigmoid'' = s'(1 - 2 s).
    const p = net.parameters();
    const f = net.predict(data.x);
    const s = width ** -net.beta;
    for (let i = 0; i < width; i++) {
      const D = new Float64Array(q * q);
      for (let m = 0; m < M; m++) {
        const xa = [...data.x.slice(m * d, (m + 1) * d), 1];
        let z = p.b[i]!;
        for (let j = 0; j < d; j++) z += p.W[i * d + j]! * data.x[m * d + j]!;
        const sg = 1 / (1 + Math.exp(-z));
        const s1 = sg * (1 - sg);
        const s2 = s1 * (1 - 2 * sg);
        const r = f[m]! - data.y[m]!;
        for (let a = 0; a <= d; a++) {
          for (let bb = 0; bb <= d; bb++) D[a * q + bb] = D[a * q + bb]! + (r * s * p.c[i]! * s2 * xa[a]! * xa[bb]!) / M;
          D[a * q + d + 1] = D[a * q + d + 1]! + (r * s * s1 * xa[a]!) / M;
          D[(d + 1) * q + a] = D[(d + 1) * q + a]! + (r * s * s1 * xa[a]!) / M;
        }
      }
      for (let a = 0; a < q; a++)
        for (let bb = 0; bb < q; bb++) {
          const k = (i * q + a) * P + i * q + bb;
          expect(Math.abs(H[k]! - G[k]! - D[a * q + bb]!)).toBeLessThan(1e-14 * maxAbs(H));
        }
    }
  });

  it('is deterministic: repeated calls give bitwise-identical matrices', () => {
    expect(net.hessian(data)).toEqual(H);
    expect(net.jacobian(data)).toEqual(J);
  });

  it('works on the paper data (Figure 1) at width 30', () => {
    const big = TwoLayerNet.create({ width: 30, inputDim: 1, seed: 2 });
    const fig = datasets.paperFigure1();
    const A = big.hessian(fig);
    expect(A.length).toBe(90 * 90);
    for (let i = 0; i < 90; i++) for (let j = 0; j < i; j++) expect(A[i * 90 + j]).toBe(A[j * 90 + i]);
  });
});

describe('construction: hostile input never reaches the core unchecked', () => {
  type Any = any;
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(NntkError);
      return (e as NntkError).code;
    }
    return 'no error';
  };

  it('widths whose parameters cannot be allocated are refused with E_TOO_LARGE before allocating', () => {
    expect(code(() => TwoLayerNet.create({ width: 1e9, inputDim: 2, seed: 1 }))).toBe('E_TOO_LARGE');
    expect(code(() => TwoLayerNet.create({ width: 2 ** 31 - 1, inputDim: 1, seed: 1 }))).toBe('E_TOO_LARGE');
    expect(code(() => TwoLayerNet.create({ width: 2 ** 26, inputDim: 7, seed: 1 }))).toBe('E_TOO_LARGE');  // 2^26 * 9 > 2^29
    expect(code(() => TwoLayerNet.create({ width: Number.MAX_SAFE_INTEGER, inputDim: 1, seed: 1 }))).toBe('E_TOO_LARGE');
    expect(TwoLayerNet.create({ width: 2 ** 20, inputDim: 1, seed: 1 }).parameterCount).toBe(3 * 2 ** 20);
    expect(MAX_PARAMETER_COUNT).toBe(2 ** 29);
  });

  it('the constructor is not public: new and Reflect.construct give NntkError', () => {
    const state = { width: 2 ** 33, inputDim: 2 ** 31, beta: 0.5, activation: 'tanh', W: new Float64Array(0), b: new Float64Array(0), c: new Float64Array(0) };
    expect(code(() => new (TwoLayerNet as Any)(state))).toBe('E_ARGUMENT');
    expect(code(() => Reflect.construct(TwoLayerNet, [state]))).toBe('E_ARGUMENT');
    expect(code(() => new (Dataset as Any)(new Float64Array(0), new Float64Array(0), 1))).toBe('E_ARGUMENT');
  });

  it('objects that only look like networks or data sets are refused', () => {
    const data = datasets.paperFigure1();
    const fake = Object.create(TwoLayerNet.prototype) as TwoLayerNet;
    expect(code(() => fake.loss(data))).toBe('E_ARGUMENT');
    const net = TwoLayerNet.create({ width: 3, inputDim: 1, seed: 1 });
    expect(code(() => net.loss(Object.create(Dataset.prototype)))).toBe('E_ARGUMENT');
  });

  it('the raw addon refuses inconsistent sizes (overflowing products, empty data) with NntkError', () => {
    const addon = native();
    const empty = new Float64Array(0);
    const huge = { width: 2 ** 33, inputDim: 2 ** 31, beta: 0.5, activation: 'tanh', W: empty, b: empty, c: empty };
    const data = { size: 1, inputDim: 2 ** 31, x: empty, y: new Float64Array(1) };
    expect(code(() => addon.loss(huge as Any, data))).toBe('E_ARGUMENT');  // width above the limit
    const wrapped = { width: 2 ** 28, inputDim: 2 ** 36, beta: 0.5, activation: 'tanh', W: empty, b: empty, c: empty };
    expect(code(() => addon.gradient(wrapped as Any, data))).toBe('E_ARGUMENT');
    const net = { width: 2, inputDim: 1, beta: 0.5, activation: 'tanh', W: new Float64Array(2), b: new Float64Array(2), c: new Float64Array(2) };
    const none = { size: 0, inputDim: 1, x: empty, y: empty };
    expect(code(() => addon.loss(net as Any, none))).toBe('E_SHAPE');
    expect(code(() => addon.ntkGramSync(net as Any, none, { curvature: 'newton', spectrum: 'none', lambda: 0, memoryLimitBytes: 1e9 }))).toBe('E_SHAPE');
    expect(code(() => addon.loss({ ...net, W: new Float64Array(3) } as Any, { size: 1, inputDim: 1, x: new Float64Array(1), y: new Float64Array(1) }))).toBe('E_SHAPE');
    expect(code(() => addon.loss({ ...net, W: new Int8Array(2) } as Any, { size: 1, inputDim: 1, x: new Float64Array(1), y: new Float64Array(1) }))).toBe('E_ARGUMENT');
    expect(code(() => addon.loss({ ...net, extra: 1 } as Any, { size: 1, inputDim: 1, x: new Float64Array(1), y: new Float64Array(1) }))).toBe('E_ARGUMENT');
    expect(code(() => addon.loss(net as Any, { size: 1, inputDim: 2, x: new Float64Array(2), y: new Float64Array(1) }))).toBe('E_SHAPE');
    expect(code(() => addon.initialize(1, 2 ** 40, 1))).toBe('E_ARGUMENT');
    expect(code(() => addon.initialize(1, 2 ** 28, 2))).toBe('E_TOO_LARGE');
  });

  it('Proxy-wrapped and detached typed arrays are refused with NntkError', () => {
    const net = TwoLayerNet.create({ width: 3, inputDim: 1, seed: 1 });
    const proxy = new Proxy(new Float64Array(4), {});
    expect(code(() => net.predict(proxy))).toBe('E_ARGUMENT');
    expect(code(() => Dataset.create({ x: proxy, y: [1, 2, 3, 4] }))).toBe('E_ARGUMENT');
    expect(code(() => TwoLayerNet.fromParameters({ W: proxy, b: new Float64Array(4), c: new Float64Array(4), beta: 0.5 }))).toBe('E_ARGUMENT');
    const detached = new Float64Array(4);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(net.predict(detached)).toEqual(new Float64Array(0));  // a detached view reads as zero rows
    expect(code(() => Dataset.create({ x: detached, y: [1, 2, 3, 4] }))).toBe('E_SHAPE');
    expect(code(() => TwoLayerNet.fromParameters({ W: detached, b: detached, c: detached, beta: 0.5 }))).toBe('E_SHAPE');
  });

  it("tanh' keeps its relative accuracy far in the tails (1 - tanh^2 would be exactly 0 past |z| ~ 19)", () => {
    // One neuron with w = 0, b = z: the b-column of the Jacobian is N^-beta c tanh'(z) = c sech^2(z).
    for (const z of [3, 10, 19.5, 25, -30]) {
      const net = TwoLayerNet.fromParameters({ W: Float64Array.of(0), b: Float64Array.of(z), c: Float64Array.of(1), beta: 0 });
      const J = net.jacobian(Dataset.create({ x: [0.5], y: [0] }));
      const exact = 4 * Math.exp(-2 * Math.abs(z)) / (1 + Math.exp(-2 * Math.abs(z))) ** 2;
      expect(Math.abs(J[1]! - exact) / exact, `z = ${z}`).toBeLessThan(1e-14);
    }
  });
});

describe('TwoLayerNet.create: bad input', () => {
  const ok = { width: 3, inputDim: 2, seed: 1 };
  it('zero, negative or fractional sizes and seeds', () => {
    expectCode(() => TwoLayerNet.create({ ...ok, width: 0 }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create({ ...ok, width: -5 }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create({ ...ok, width: 2.5 }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create({ ...ok, inputDim: 0 }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create({ ...ok, inputDim: -1 }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create({ ...ok, seed: -1 }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create({ ...ok, seed: 0.5 }), 'E_ARGUMENT');
  });
  it('beta out of [0, 1]', () => {
    expectCode(() => TwoLayerNet.create({ ...ok, beta: 1.5 }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create({ ...ok, beta: -0.1 }), 'E_ARGUMENT');
  });
  it('NaN / Infinity beta', () => {
    expectCode(() => TwoLayerNet.create({ ...ok, beta: Number.NaN }), 'E_NONFINITE');
    expectCode(() => TwoLayerNet.create({ ...ok, beta: Number.POSITIVE_INFINITY }), 'E_NONFINITE');
  });
  it('NaN / Infinity sizes and seed', () => {
    expectCode(() => TwoLayerNet.create({ ...ok, width: Number.NaN }), 'E_NONFINITE');
    expectCode(() => TwoLayerNet.create({ ...ok, width: Number.POSITIVE_INFINITY }), 'E_NONFINITE');
    expectCode(() => TwoLayerNet.create({ ...ok, inputDim: Number.NaN }), 'E_NONFINITE');
    expectCode(() => TwoLayerNet.create({ ...ok, seed: Number.NaN }), 'E_NONFINITE');
  });
  it('wrong types and missing required options', () => {
    expectCode(() => TwoLayerNet.create(bad(undefined)), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create(bad('tanh')), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create(bad({ ...ok, width: '3' })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create(bad({ ...ok, beta: '0.5' })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create(bad({ width: 3, inputDim: 2 })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create(bad({ width: 3, seed: 1 })), 'E_ARGUMENT');
  });
  it('unknown option key', () => {
    const e = expectCode(() => TwoLayerNet.create(bad({ ...ok, witdh: 3 })), 'E_ARGUMENT');
    expect(e.message).toMatch(/witdh/);
  });
  it('unknown activation', () => {
    expectCode(() => TwoLayerNet.create(bad({ ...ok, activation: 'relu' })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create(bad({ ...ok, activation: 'Tanh' })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create(bad({ ...ok, activation: 0 })), 'E_ARGUMENT');
  });
  it('too many weights: E_TOO_LARGE before any allocation', () => {
    expectCode(() => TwoLayerNet.create({ width: 2 ** 30, inputDim: 4, seed: 1 }), 'E_TOO_LARGE');
  });
});

describe('TwoLayerNet.fromParameters: bad input', () => {
  const W = Float64Array.of(1, 2, 3, 4);
  const b = Float64Array.of(0, 1);
  const c = Float64Array.of(1, -1);
  it('wrong shape', () => {
    expectCode(() => TwoLayerNet.fromParameters({ W, b, c: Float64Array.of(1), beta: 0.5 }), 'E_SHAPE');
    expectCode(() => TwoLayerNet.fromParameters({ W: Float64Array.of(1, 2, 3), b, c, beta: 0.5 }), 'E_SHAPE');
    expectCode(() => TwoLayerNet.fromParameters({ W: new Float64Array(0), b, c, beta: 0.5 }), 'E_SHAPE');
    expectCode(() => TwoLayerNet.fromParameters({ W, b: new Float64Array(0), c: new Float64Array(0), beta: 0.5 }), 'E_SHAPE');
  });
  it('NaN / Infinity in W, b, c or beta', () => {
    expectCode(() => TwoLayerNet.fromParameters({ W: Float64Array.of(1, Number.NaN, 3, 4), b, c, beta: 0.5 }), 'E_NONFINITE');
    expectCode(() => TwoLayerNet.fromParameters({ W, b: Float64Array.of(0, Number.POSITIVE_INFINITY), c, beta: 0.5 }), 'E_NONFINITE');
    expectCode(() => TwoLayerNet.fromParameters({ W, b, c: Float64Array.of(Number.NaN, 1), beta: 0.5 }), 'E_NONFINITE');
    expectCode(() => TwoLayerNet.fromParameters({ W, b, c, beta: Number.NaN }), 'E_NONFINITE');
  });
  it('beta out of range', () => {
    expectCode(() => TwoLayerNet.fromParameters({ W, b, c, beta: 2 }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.fromParameters({ W, b, c, beta: -1 }), 'E_ARGUMENT');
  });
  it('wrong types and missing fields', () => {
    expectCode(() => TwoLayerNet.fromParameters(bad(null)), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.fromParameters(bad({ W: ['1', 2, 3, 4], b, c, beta: 0.5 })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.fromParameters(bad({ W, b: new BigUint64Array(2), c, beta: 0.5 })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.fromParameters(bad({ W, b: { length: 2, 0: 1, 1: 2 }, c, beta: 0.5 })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.fromParameters(bad({ W, b, beta: 0.5 })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.fromParameters(bad({ W, b, c })), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.fromParameters(bad({ W, b, c, beta: '0.5' })), 'E_ARGUMENT');
  });
  it('unknown option key', () => {
    expectCode(() => TwoLayerNet.fromParameters(bad({ W, b, c, beta: 0.5, seed: 1 })), 'E_ARGUMENT');
  });
  it('unknown activation', () => {
    expectCode(() => TwoLayerNet.fromParameters(bad({ W, b, c, beta: 0.5, activation: 'relu' })), 'E_ARGUMENT');
  });
});

describe('array inputs other than Float64Array', () => {
  it('arrays of numbers give what the Float64Array of the same values gives, bit for bit; other typed arrays are refused', () => {
    const x = [0.25, -0.5, 0.75];
    const reference = net.predict(Float64Array.from(x));
    expect(net.predict(x)).toEqual(reference);
    const e = expectCode(() => net.predict(Float32Array.from(x) as never), 'E_ARGUMENT');
    expect(e.message).toMatch(/Float64Array\.from/);
    const p = net.parameters();
    const plain = TwoLayerNet.fromParameters({ W: Array.from(p.W), b: Array.from(p.b), c: Array.from(p.c), beta: net.beta });
    expect(plain.flatParameters()).toEqual(net.flatParameters());
    const step = { W: Array.from(p.W, (v) => v / 8), b: Array.from(p.b, (v) => v / 8), c: Array.from(p.c, (v) => v / 8) };
    const viaArrays = net.withStep(step, 0.5);
    const viaTyped = net.withStep({ W: Float64Array.from(step.W), b: Float64Array.from(step.b), c: Float64Array.from(step.c) }, 0.5);
    expect(viaArrays.flatParameters()).toEqual(viaTyped.flatParameters());
    expectCode(() => Dataset.create({ x: Float32Array.of(0.5, 1) as never, y: [1, 2] }), 'E_ARGUMENT');
  });
});

describe('predict: bad input', () => {
  it('wrong shape: length not a multiple of inputDim', () => {
    expectCode(() => net3.predict(new Float64Array(4)), 'E_SHAPE');
  });
  it('NaN / Infinity in x', () => {
    expectCode(() => net.predict(Float64Array.of(0.5, Number.NaN)), 'E_NONFINITE');
    expectCode(() => net.predict(Float64Array.of(Number.NEGATIVE_INFINITY)), 'E_NONFINITE');
  });
  it('wrong types', () => {
    expectCode(() => net.predict(bad(['0.5'])), 'E_ARGUMENT');
    expectCode(() => net.predict(bad(new DataView(new ArrayBuffer(16)))), 'E_ARGUMENT');
    expectCode(() => net.predict(bad(undefined)), 'E_ARGUMENT');
  });
});

// loss, gradient, jacobian and hessian share their data checks; each gets its own tests.
describe.each([
  ['loss', (d: unknown) => net.loss(bad(d)), (n: TwoLayerNet, d: Dataset) => n.loss(d)],
  ['gradient', (d: unknown) => net.gradient(bad(d)), (n: TwoLayerNet, d: Dataset) => n.gradient(d)],
  ['jacobian', (d: unknown) => net.jacobian(bad(d)), (n: TwoLayerNet, d: Dataset) => n.jacobian(d)],
  ['hessian', (d: unknown) => net.hessian(bad(d)), (n: TwoLayerNet, d: Dataset) => n.hessian(d)],
] as const)('%s', (_name, call, callOn) => {
  it('wrong shape: data of another inputDim', () => {
    expectCode(() => call(Dataset.create({ x: new Float64Array(6), y: new Float64Array(2), inputDim: 3 })), 'E_SHAPE');
  });
  it('wrong types: not a Dataset (a look-alike object, undefined, an array)', () => {
    expectCode(() => call({ size: data.size, inputDim: 1, x: data.x, y: data.y }), 'E_ARGUMENT');
    expectCode(() => call(undefined), 'E_ARGUMENT');
    expectCode(() => call([data.x, data.y]), 'E_ARGUMENT');
  });
  it('non-finite values produced by the network at these parameters (spec/API.md: E_NONFINITE)', () => {
    expectCode(() => callOn(overflowing, overflowData), 'E_NONFINITE');
  });
});

describe('hessian options: bad input', () => {
  it('wrong types', () => {
    expectCode(() => net.hessian(data, bad('gauss-newton')), 'E_ARGUMENT');
    expectCode(() => net.hessian(data, bad(null)), 'E_ARGUMENT');
    expectCode(() => net.hessian(data, bad({ memoryLimitBytes: '1e9' })), 'E_ARGUMENT');
  });
  it('unknown option key', () => {
    expectCode(() => net.hessian(data, bad({ curvture: 'newton' })), 'E_ARGUMENT');
  });
  it('unknown curvature', () => {
    expectCode(() => net.hessian(data, bad({ curvature: 'gn' })), 'E_ARGUMENT');
    expectCode(() => net.hessian(data, bad({ curvature: 'Newton' })), 'E_ARGUMENT');
  });
  it('zero, negative or NaN memoryLimitBytes', () => {
    expectCode(() => net.hessian(data, { memoryLimitBytes: 0 }), 'E_ARGUMENT');
    expectCode(() => net.hessian(data, { memoryLimitBytes: -1 }), 'E_ARGUMENT');
    expectCode(() => net.hessian(data, { memoryLimitBytes: Number.NaN }), 'E_NONFINITE');
  });
  it('E_TOO_LARGE past memoryLimitBytes, with a message pointing at the structured solver', () => {
    const wide = TwoLayerNet.create({ width: 100, inputDim: 1, seed: 1 });
    for (const curvature of ['newton', 'gauss-newton'] as const) {
      const e = expectCode(() => wide.hessian(data, { curvature, memoryLimitBytes: 1000 }), 'E_TOO_LARGE');
      expect(e.message).toMatch(/structured/);
    }
    // Exactly at the cap is allowed: P = 300, 8 P^2 bytes.
    expect(wide.hessian(data, { memoryLimitBytes: 8 * 300 * 300 }).length).toBe(300 * 300);
    expectCode(() => wide.hessian(data, { memoryLimitBytes: 8 * 300 * 300 - 1 }), 'E_TOO_LARGE');
  });
});

describe('withStep: bad input', () => {
  it('wrong shape', () => {
    expectCode(() => net.withStep({ ...params, W: new Float64Array(3) }), 'E_SHAPE');
    expectCode(() => net.withStep({ ...params, b: new Float64Array(5) }), 'E_SHAPE');
    expectCode(() => net.withStep({ ...params, c: new Float64Array(0) }), 'E_SHAPE');
  });
  it('NaN / Infinity in the step or alpha', () => {
    expectCode(() => net.withStep({ ...params, b: Float64Array.of(0, Number.NaN, 0, 0) }), 'E_NONFINITE');
    expectCode(() => net.withStep(params, Number.NaN), 'E_NONFINITE');
    expectCode(() => net.withStep(params, Number.POSITIVE_INFINITY), 'E_NONFINITE');
  });
  it('finite step and alpha whose sum overflows: the new parameters would be non-finite', () => {
    // fromParameters refuses non-finite parameters; withStep must not create a network holding them.
    const big = { W: params.W.map(() => 1e308), b: params.b.map(() => 1e308), c: params.c.map(() => 1e308) };
    expectCode(() => net.withStep(big, 1e10), 'E_NONFINITE');
  });
  it('wrong types', () => {
    expectCode(() => net.withStep(bad(undefined)), 'E_ARGUMENT');
    expectCode(() => net.withStep(bad({ W: Array.from(params.W, String), b: params.b, c: params.c })), 'E_ARGUMENT');
    expectCode(() => net.withStep(bad({ W: params.W, b: params.b })), 'E_ARGUMENT');
    expectCode(() => net.withStep(params, bad('1')), 'E_ARGUMENT');
  });
});
