/**
 * Trainable parameter groups and fixed output weights (docs/MATH.md section 1.2): for every non-empty
 * subset of {W, b, c}, both inits and both curvatures, at inputDim 1 (the fused column builders) and 3,
 * J', the gradient and the Hessian against finite differences of the full network in the trainable
 * coordinates; the structured solver against the dense one and against Gaussian elimination written here;
 * the frozen groups bit for bit after steps and every training method; and {W, b, c} bit for bit today's.
 */
import { describe, expect, it } from 'vitest';
import {
  curvatureSpectrumSync,
  Dataset,
  datasets,
  type LimitSetting,
  ntkCrossLimitSync,
  ntkDiagonalLimitSync,
  ntkGramLimitSync,
  nntkGramLimitSync,
  linearizedPredictor,
  isStepPoint,
  newtonStepSync,
  nntkGramSync,
  ntkCrossSync,
  ntkGramSync,
  oneStepGridSync,
  type ParameterGroup,
  train,
  TwoLayerNet,
} from '../src/index.js';
import { METHODS } from '../src/contract.js';
import { centralDifference, expectCode, expectSameStep, flatten, maxAbs, randomDataset, relativeError, unflatten, gaussSolve } from './helpers.js';

const SUBSETS: ParameterGroup[][] = [['W'], ['b'], ['c'], ['W', 'b'], ['W', 'c'], ['b', 'c'], ['W', 'b', 'c']];
const INITS = ['paper', 'symmetric'] as const;
const CURVATURES = ['newton', 'gauss-newton'] as const;
const width = 6;
const M = 7;
const lambda = 0.5;

/** The full flat indices (q = d + 2 per neuron) of the trainable parameters, in the order of J's columns. */
function activeIndices(groups: readonly ParameterGroup[], d: number): number[] {
  const q = d + 2;
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    if (groups.includes('W')) for (let j = 0; j < d; j++) out.push(i * q + j);
    if (groups.includes('b')) out.push(i * q + d);
    if (groups.includes('c')) out.push(i * q + d + 1);
  }
  return out;
}

/** The same parameters with every group trainable (the full network), flat parameter k shifted by delta. */
function fullShifted(net: TwoLayerNet, k: number, delta: number): TwoLayerNet {
  const flat = flatten(net.parameters(), net.width, net.inputDim);
  flat[k] = flat[k]! + delta;
  return TwoLayerNet.fromParameters({ ...unflatten(flat, net.width, net.inputDim), beta: net.beta, activation: net.activation, outputScale: net.outputScale });
}

/** Bitwise equality of two float arrays (distinguishes -0 from 0 and compares NaN payloads). */
function expectBits(a: Float64Array, b: Float64Array, what: string): void {
  expect(a.length, what).toBe(b.length);
  expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), what).toBe(true);
}

/** The frozen groups of `after` are those of `before`, bit for bit; the trainable ones moved. */
function expectFrozenKept(before: TwoLayerNet, after: TwoLayerNet, what: string): void {
  const a = before.parameters();
  const b = after.parameters();
  for (const g of ['W', 'b', 'c'] as const) {
    if (before.trainable.includes(g)) expect(maxAbs(a[g].map((v, k) => v - b[g][k]!)), `${what}: ${g} moves`).toBeGreaterThan(0);
    else expectBits(b[g], a[g], `${what}: frozen ${g}`);
  }
  expect(after.trainable).toEqual(before.trainable);
}

const cases = SUBSETS.flatMap((groups) => INITS.flatMap((init) => [1, 3].map((d) => ({ groups, init, d }))));

describe.each(cases)('trainable $groups, init $init, inputDim $d', ({ groups, init, d }) => {
  const net = TwoLayerNet.create({ width, inputDim: d, seed: 11, init, trainable: groups, outputScale: 1.3 });
  const full = TwoLayerNet.create({ width, inputDim: d, seed: 11, init, outputScale: 1.3 });
  const data = randomDataset(20 + d, M, d);
  const A = activeIndices(groups, d);
  const P = full.parameterCount;
  const Pt = A.length;

  it('counts P and P\', keeps the parameters of the full network', () => {
    expect(net.trainable).toEqual(groups);
    expect(net.trainableCount).toBe(Pt);
    expect(net.parameterCount).toBe(P);
    expect(net.flatParameters()).toEqual(full.flatParameters());
  });

  it("J' is J's trainable columns, and the finite differences of f", () => {
    const J = net.jacobian(data);
    const Jfull = full.jacobian(data);
    expect(J.length).toBe(M * Pt);
    for (let m = 0; m < M; m++) for (let a = 0; a < Pt; a++) expect(J[m * Pt + a]).toBe(Jfull[m * P + A[a]!]);
    for (let a = 0; a < Pt; a++) {
      const fd = centralDifference((h) => fullShifted(net, A[a]!, h).predict(data.x), 1e-3);
      for (let m = 0; m < M; m++) expect(Math.abs(fd[m]! - J[m * Pt + a]!)).toBeLessThan(1e-9);
    }
  });

  it('the gradient: the finite differences of L in the trainable coordinates, zeros in the frozen groups', () => {
    const g = flatten(net.gradient(data), width, d);
    const gFull = flatten(full.gradient(data), width, d);
    const inA = new Set(A);
    for (let k = 0; k < P; k++) expect(g[k], `entry ${k}`).toBe(inA.has(k) ? gFull[k] : 0);
    for (const k of A) {
      const fd = centralDifference((h) => fullShifted(net, k, h).loss(data), 1e-3);
      expect(Math.abs(fd - g[k]!)).toBeLessThan(1e-9);
    }
  });

  it('the Hessian (P\' x P\'): finite differences of the gradient, and J\'^T J\' / M for Gauss-Newton', () => {
    const H = net.hessian(data);
    expect(H.length).toBe(Pt * Pt);
    for (let b = 0; b < Pt; b++) {
      const fd = centralDifference((h) => flatten(fullShifted(net, A[b]!, h).gradient(data), width, d), 1e-3);
      for (let a = 0; a < Pt; a++) expect(Math.abs(fd[A[a]!]! - H[a * Pt + b]!), `(${a}, ${b})`).toBeLessThan(1e-8);
    }
    const G = net.hessian(data, { curvature: 'gauss-newton' });
    const J = net.jacobian(data);
    const ref = new Float64Array(Pt * Pt);
    for (let a = 0; a < Pt; a++)
      for (let b = 0; b < Pt; b++) {
        let s = 0;
        for (let m = 0; m < M; m++) s += J[m * Pt + a]! * J[m * Pt + b]!;
        ref[a * Pt + b] = s / M;
      }
    expect(relativeError(G, ref)).toBeLessThan(1e-13);
  });

  it.each(CURVATURES)('%s: structured = dense = Gaussian elimination (step, inertia, extremes, NNTK)', (curvature) => {
    const C = net.hessian(data, { curvature });
    for (let k = 0; k < Pt; k++) C[k * Pt + k] = C[k * Pt + k]! + lambda;
    const g = flatten(net.gradient(data), width, d);
    const ref = gaussSolve(C, Float64Array.from(A, (k) => -g[k]!), Pt);
    const dense = newtonStepSync(net, data, { regularization: { lambda }, curvature, solver: 'dense', spectrum: 'full' });
    const structured = newtonStepSync(net, data, { regularization: { lambda }, curvature, solver: 'structured', spectrum: 'extremal' });
    const ds = flatten(dense.step, width, d);
    const ss = flatten(structured.step, width, d);
    expect(relativeError(Float64Array.from(A, (k) => ds[k]!), ref)).toBeLessThan(1e-10);
    expect(relativeError(ss, ds)).toBeLessThan(1e-12);
    for (let k = 0; k < P; k++) if (!A.includes(k)) expect(ss[k]).toBe(0);
    expect(structured.inertia).toEqual(dense.inertia);
    expect(dense.inertia.positive + dense.inertia.negative + dense.inertia.zero).toBe(Pt);
    const ev = dense.eigenvalues!;
    expect(ev.length).toBe(Pt);
    const radius = Math.max(Math.abs(ev[0]!), Math.abs(ev[Pt - 1]!));
    expect(Math.abs(structured.minEigenvalue! - ev[0]!)).toBeLessThan(1e-12 * radius);
    expect(Math.abs(structured.maxEigenvalue! - ev[Pt - 1]!)).toBeLessThan(1e-12 * radius);
    // the spectrum's two methods: bisection on the Haynsworth counts, and the secular equations with eigenvectors
    const bisection = curvatureSpectrumSync(net, data, { regularization: { lambda }, curvature, method: 'bisection' });
    expect(bisection.inertia).toEqual(dense.inertia);
    expect(Math.abs(bisection.minEigenvalue - ev[0]!)).toBeLessThan(1e-12 * radius);
    expect(Math.abs(bisection.maxEigenvalue - ev[Pt - 1]!)).toBeLessThan(1e-12 * radius);
    const k = Math.min(2, Pt);
    const secular = curvatureSpectrumSync(net, data, { regularization: { lambda }, curvature, smallest: k, largest: k, eigenvectors: true });
    for (let l = 0; l < k; l++) {
      expect(Math.abs(secular.smallest[l]! - ev[l]!)).toBeLessThan(1e-12 * radius);
      expect(Math.abs(secular.largest[l]! - ev[Pt - 1 - l]!)).toBeLessThan(1e-12 * radius);
      expect(secular.smallestVectors![l]!.length).toBe(Pt);
    }
    // NNTK = J' (C' + lambda I)^-1 J'^T / M, by elimination on the dense C'
    const J = net.jacobian(data);
    const K = nntkGramSync(net, data, { regularization: { lambda }, curvature });
    const nref = new Float64Array(M * M);
    for (let n = 0; n < M; n++) {
      const x = gaussSolve(C, Float64Array.from({ length: Pt }, (_, k) => J[n * Pt + k]!), Pt);
      for (let m = 0; m < M; m++) {
        let s = 0;
        for (let k = 0; k < Pt; k++) s += J[m * Pt + k]! * x[k]!;
        nref[m * M + n] = s / M;
      }
    }
    expect(relativeError(K, nref)).toBeLessThan(1e-12);
  });

  it("the NTK and the cross NTK are J' J'^T / M", () => {
    const test = randomDataset(40 + d, 3, d);
    const J = net.jacobian(data);
    const Jt = net.jacobian(test);
    const gram = (X: Float64Array, rows: number) => {
      const out = new Float64Array(rows * M);
      for (let r = 0; r < rows; r++)
        for (let m = 0; m < M; m++) {
          let s = 0;
          for (let k = 0; k < Pt; k++) s += X[r * Pt + k]! * J[m * Pt + k]!;
          out[r * M + m] = s / M;
        }
      return out;
    };
    expect(relativeError(ntkGramSync(net, data), gram(J, M))).toBeLessThan(1e-13);
    expect(relativeError(ntkCrossSync(net, data, test.x).cross, gram(Jt, 3))).toBeLessThan(1e-13);
  });

  it('oneStepGrid steps only the trainable groups', () => {
    for (const curvature of CURVATURES) {
      const grid = oneStepGridSync(net, data, { regularizations: [{ lambda }], curvature });
      const point = grid.datasets[0]!.points[0]!;
      if (!isStepPoint(point)) throw point.error;
      const r = newtonStepSync(net, data, { regularization: { lambda }, curvature, solver: 'structured' });
      const after = net.withStep(r.step).loss(data);
      expect(Math.abs(point.lossAfter - after) / after, curvature).toBeLessThan(1e-9);
    }
  });

  it('frozen groups stay bit for bit after newtonStep + withStep and after train with every method', async () => {
    for (const curvature of CURVATURES) {
      for (const solver of ['dense', 'structured'] as const) {
        const r = newtonStepSync(net, data, { regularization: { lambda }, curvature, solver });
        expectFrozenKept(net, net.withStep(r.step), `${curvature} ${solver}`);
      }
    }
    for (const method of METHODS) {
      const o = method === 'gd' || method === 'adam'
        ? { method, iterations: 3, learningRate: 0.05 }
        : { method, iterations: 2, damping: 'fixed' as const, regularization: { lambda } };
      const run = await train(net, data, o);
      expectFrozenKept(net, run.net, method);
      if (method === 'adam') expect(run.state.adamM!.length).toBe(Pt);
    }
  });
});

describe('trainable groups: the full subset and the options', () => {
  const data = randomDataset(5, M, 2);

  it("{W, b, c} in any order is bit for bit the network without the option", async () => {
    for (const init of INITS) {
      const plain = TwoLayerNet.create({ width, inputDim: 2, seed: 3, init });
      const all = TwoLayerNet.create({ width, inputDim: 2, seed: 3, init, trainable: ['c', 'W', 'b'] });
      expect(all.trainable).toEqual(['W', 'b', 'c']);
      expectBits(all.jacobian(data), plain.jacobian(data), 'jacobian');
      expectBits(all.flatParameters(), plain.flatParameters(), 'parameters');
      expectBits(flatten(all.gradient(data), width, 2), flatten(plain.gradient(data), width, 2), 'gradient');
      for (const curvature of CURVATURES) {
        expectBits(all.hessian(data, { curvature }), plain.hessian(data, { curvature }), 'hessian');
        for (const solver of ['dense', 'structured'] as const) {
          const o = { regularization: { lambda }, curvature, solver, spectrum: 'extremal' as const };
          expectSameStep(newtonStepSync(all, data, o), newtonStepSync(plain, data, o));
        }
        expectBits(nntkGramSync(all, data, { regularization: { lambda }, curvature }), nntkGramSync(plain, data, { regularization: { lambda }, curvature }), 'nntk');
      }
      expectBits(ntkGramSync(all, data), ntkGramSync(plain, data), 'ntk');
      for (const curvature of CURVATURES) {
        const so = { regularization: { lambda }, curvature, smallest: 2, largest: 2 };
        const [sa, sp] = [curvatureSpectrumSync(all, data, so), curvatureSpectrumSync(plain, data, so)];
        expectBits(sa.smallest, sp.smallest, 'spectrum');
        expectBits(sa.largest, sp.largest, 'spectrum');
        const go = { regularizations: [{ lambda }], curvature };
        const [ga, gp] = [oneStepGridSync(all, data, go).datasets[0]!.points[0]!, oneStepGridSync(plain, data, go).datasets[0]!.points[0]!];
        if (!isStepPoint(ga) || !isStepPoint(gp)) throw new Error('a grid point failed');
        expect(ga.lossAfter).toBe(gp.lossAfter);
        expectBits(ga.nntk, gp.nntk, 'grid nntk');
      }
      for (const method of METHODS) {
        const o = method === 'gd' || method === 'adam' ? { method, iterations: 2, learningRate: 0.05 } : { method, iterations: 2 };
        expectBits((await train(all, data, o)).net.flatParameters(), (await train(plain, data, o)).net.flatParameters(), method);
      }
    }
  });

  it('rejects an empty, repeated or unknown group list with E_ARGUMENT', () => {
    const base = { width: 4, inputDim: 1, seed: 0 };
    for (const trainable of [[], ['W', 'W'], ['w'], 'Wb', [1]]) {
      const e = expectCode(() => TwoLayerNet.create({ ...base, trainable: trainable as ParameterGroup[] }), 'E_ARGUMENT');
      expect(e.message).toMatch(/subset of \['W', 'b', 'c'\]|non-empty/);
    }
  });

  it("outputWeights: 'uniform' is today's draw, 'signs' its signs (W, b unchanged), given values are copied", () => {
    for (const init of INITS) {
      const base = { width, inputDim: 2, seed: 9, init };
      const uniform = TwoLayerNet.create(base);
      expectBits(TwoLayerNet.create({ ...base, outputWeights: 'uniform' }).flatParameters(), uniform.flatParameters(), 'uniform');
      const signs = TwoLayerNet.create({ ...base, outputWeights: 'signs', trainable: ['W', 'b'] });
      expect(signs.outputWeights).toBe('signs');
      expectBits(signs.parameters().W, uniform.parameters().W, 'W');
      expectBits(signs.parameters().b, uniform.parameters().b, 'b');
      expect(Array.from(signs.parameters().c)).toEqual(Array.from(uniform.parameters().c, (u) => (u < 0 ? -1 : 1)));
      if (init === 'symmetric') {
        expect(maxAbs(signs.predict(data.x))).toBeLessThan(1e-15);  // f = 0 up to the order of the sum
        expectCode(() => TwoLayerNet.create({ ...base, outputWeights: [1, 2, 3, 1, 2, 4] }), 'E_ARGUMENT');
      }
      const given = init === 'symmetric' ? [0.5, -2, 1, -0.5, 2, -1] : [0.5, -2, 1, 3, 0, 0.25];
      const net = TwoLayerNet.create({ ...base, outputWeights: given });
      expect(Array.from(net.parameters().c)).toEqual(given);
      expect(net.outputWeights).toBe('given');
    }
    expectCode(() => TwoLayerNet.create({ width, inputDim: 1, seed: 0, outputWeights: [1, 2] }), 'E_SHAPE');
    expectCode(() => TwoLayerNet.create({ width, inputDim: 1, seed: 0, outputWeights: [1, 2, 3, 4, 5, NaN] }), 'E_ARGUMENT');
    expectCode(() => TwoLayerNet.create({ width, inputDim: 1, seed: 0, outputWeights: 'gaussian' as 'signs' }), 'E_ARGUMENT');
  });

  it('withStep refuses a nonzero step in a frozen group; train and withStep keep the groups', async () => {
    const net = TwoLayerNet.create({ width, inputDim: 2, seed: 1, trainable: ['W', 'b'] });
    const g = net.gradient(data);
    expect(g.c.every((v) => v === 0)).toBe(true);
    expect(net.withStep(g, -0.1).trainable).toEqual(['W', 'b']);
    expectCode(() => net.withStep({ ...g, c: new Float64Array(width).fill(1) }), 'E_ARGUMENT');
    expect((await train(net, data, { method: 'gd', iterations: 1, learningRate: 0.1 })).net.trainable).toEqual(['W', 'b']);
    const given = TwoLayerNet.fromParameters({ ...net.parameters(), beta: net.beta, trainable: ['c'] });
    expect(given.trainableCount).toBe(width);
  });

  it('the limit predictor uses the network\'s groups and output weights; given weights have no limit', async () => {
    const fig = datasets.paperFigure1();
    const o = { method: 'gd' as const, learningRate: 0.1, limit: true };
    const K = (net: TwoLayerNet) => linearizedPredictor(net, fig, o).then((p) => p.predict(1).train);
    const plain = await K(TwoLayerNet.create({ width: 4, inputDim: 1, seed: 0 }));
    const fixed = await K(TwoLayerNet.create({ width: 4, inputDim: 1, seed: 0, trainable: ['W', 'b'] }));
    const signs = await K(TwoLayerNet.create({ width: 4, inputDim: 1, seed: 0, outputWeights: 'signs' }));
    expect(relativeError(fixed, plain)).toBeGreaterThan(1e-6);
    expect(relativeError(signs, plain)).toBeGreaterThan(1e-6);
    const given = TwoLayerNet.create({ width: 4, inputDim: 1, seed: 0, outputWeights: [1, -1, 0.5, 2] });
    await expect(linearizedPredictor(given, fig, o)).rejects.toMatchObject({ code: 'E_ARGUMENT' });
  });
});

describe('limit kernels of a setting (docs/MATH.md section 1.2)', () => {
  const x1 = Float64Array.from([-1.5, -0.4, 0.3, 1.1, 2.2]);
  const x3 = Float64Array.from([0.2, -0.5, 1, -1, 0.3, 0.4, 0.7, 0.7, -0.2, 1.3, 0, -0.6]);
  const sets = [Dataset.create({ x: x1, y: new Float64Array(5), inputDim: 1 }), Dataset.create({ x: x3, y: new Float64Array(4), inputDim: 3 })];
  const test = (d: number) => Float64Array.from({ length: 2 * d }, (_, k) => 0.3 * k - 0.5);

  it.each(['tanh', 'erf', 'sigmoid'] as const)('%s: the group terms add up to the full kernel; signs triple the W and b terms', (activation) => {
    for (const data of sets) {
      const kinds = [
        (o: LimitSetting) => ntkGramLimitSync(data, { activation, ...o }),
        (o: LimitSetting) => ntkCrossLimitSync(data, test(data.inputDim), { activation, ...o }),
        (o: LimitSetting) => ntkDiagonalLimitSync(data, test(data.inputDim), { activation, ...o }),
      ];
      for (const kernel of kinds) {
        const all = kernel({});
        expectBits(kernel({ trainable: ['W', 'b', 'c'], outputWeights: 'uniform' }), all, 'default');
        const parts = (['W', 'b', 'c'] as const).map((g) => kernel({ trainable: [g] }));
        expect(relativeError(parts[0]!.map((v, k) => v + parts[1]![k]! + parts[2]![k]!), all)).toBeLessThan(1e-14);
        expect(relativeError(kernel({ trainable: ['W', 'b'] }), parts[0]!.map((v, k) => v + parts[1]![k]!))).toBeLessThan(1e-14);
        expect(relativeError(kernel({ trainable: ['W', 'b'], outputWeights: 'signs' }), kernel({ trainable: ['W', 'b'] }).map((v) => 3 * v))).toBeLessThan(1e-14);
        expectBits(kernel({ trainable: ['c'], outputWeights: 'signs' }), parts[2]!, 'c alone does not see E[c^2]');
      }
    }
  });

  it('erf: the c and b terms against their closed forms (Williams 1997)', () => {
    for (const data of sets) {
      const d = data.inputDim;
      const n = data.size;
      const Kc = ntkGramLimitSync(data, { activation: 'erf', trainable: ['c'] });
      const Kb = ntkGramLimitSync(data, { activation: 'erf', trainable: ['b'], outputWeights: 'signs' });
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let a = 1, b = 1, c = 1;
          for (let k = 0; k < d; k++) {
            a += data.x[i * d + k]! ** 2;
            b += data.x[j * d + k]! ** 2;
            c += data.x[i * d + k]! * data.x[j * d + k]!;
          }
          const e0 = (2 / Math.PI) * Math.asin((2 * c) / Math.sqrt((1 + 2 * a) * (1 + 2 * b)));
          const e1 = (4 / Math.PI) / Math.sqrt((1 + 2 * a) * (1 + 2 * b) - 4 * c * c);
          expect(Math.abs(Kc[i * n + j]! - e0 / n)).toBeLessThan(1e-15);
          expect(Math.abs(Kb[i * n + j]! - e1 / n)).toBeLessThan(1e-15);
        }
    }
  });

  it('nntkGramLimit uses the setting; bad settings are E_ARGUMENT', () => {
    const data = sets[0]!;
    const B = ntkGramLimitSync(data, { trainable: ['W', 'b'] });
    const K = nntkGramLimitSync(data, { gamma: 0.1, trainable: ['W', 'b'] });
    // NNTK* (B* + gamma I) = B*
    const n = data.size;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0.1 * K[i * n + j]!;
        for (let k = 0; k < n; k++) s += K[i * n + k]! * B[k * n + j]!;
        expect(Math.abs(s - B[i * n + j]!)).toBeLessThan(1e-12);
      }
    expectCode(() => ntkGramLimitSync(data, { trainable: [] }), 'E_ARGUMENT');
    expectCode(() => ntkGramLimitSync(data, { outputWeights: 'given' as 'signs' }), 'E_ARGUMENT');
  });
});
