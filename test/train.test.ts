/**
 * train() (docs/MATH.md sections 3 and 6) against computations written here: manual loops of exact
 * steps, hand-written gradient descent and Adam, the damping rules' bookkeeping, and the diagnostics'
 * least-squares and eigenmode projections.
 */
import { describe, expect, it } from 'vitest';
import {
  type Activation,
  datasets,
  getThreads,
  newtonStepSync,
  NntkError,
  ntkGramSync,
  setThreads,
  symmetricEigen,
  train,
  TwoLayerNet,
  type StepRecord,
  type TrainingRun,
} from '../src/index.js';
import { nativeData } from '../src/dataset.js';
import { state } from '../src/model.js';
import { native } from '../src/native.js';
import { expectCode, flatten, maxAbs, maxAbsDiff, randomDataset, unflatten } from './helpers.js';

const data = datasets.paperFigure3();
const small = () => TwoLayerNet.create({ width: 30, inputDim: 1, seed: 3 });

function params(net: TwoLayerNet): Float64Array {
  return flatten(net.parameters(), net.width, net.inputDim);
}

function relDiff(a: Float64Array, b: Float64Array): number {
  return maxAbsDiff(a, b) / maxAbs(b);
}

describe('train: each method is the algorithm it names', () => {
  it("'fixed' damping is a loop of exact steps (Newton and Gauss-Newton)", async () => {
    for (const [method, lambda] of [['gauss-newton', 1e-2], ['newton', 0.5]] as const) {
      let manual = small();
      for (let k = 0; k < 4; k++) {
        const r = newtonStepSync(manual, data, { regularization: { lambda }, curvature: method, solver: 'structured' });
        manual = manual.withStep(r.step);
      }
      const run = await train(small(), data, { method, iterations: 4, damping: 'fixed', regularization: { lambda }, solver: 'structured' });
      expect(run.history.map((h) => h.iteration)).toEqual([0, 1, 2, 3, 4]);
      expect(relDiff(params(run.net), params(manual))).toBeLessThan(1e-12);
      expect(run.history.at(-1)!.loss).toBeCloseTo(manual.loss(data), 14);
      expect(run.history.every((h, k) => k === 0 || (h.accepted === true && h.lambda === lambda))).toBe(true);
    }
  });

  it('gd is theta <- theta - lr grad L', async () => {
    const lr = 0.7;
    let W = small().parameters();
    for (let k = 0; k < 5; k++) {
      const net = TwoLayerNet.fromParameters({ ...W, beta: 0.52 });
      const g = net.gradient(data);
      W = { W: W.W.map((v, i) => v - lr * g.W[i]!), b: W.b.map((v, i) => v - lr * g.b[i]!), c: W.c.map((v, i) => v - lr * g.c[i]!) };
    }
    const run = await train(small(), data, { method: 'gd', iterations: 5, learningRate: lr });
    expect(relDiff(params(run.net), flatten(W, 30, 1))).toBeLessThan(1e-12);
  });

  it('adam is Adam with bias correction (beta1 0.9, beta2 0.999, eps 1e-8)', async () => {
    const lr = 0.01;
    let theta = params(small());
    const m = new Float64Array(theta.length);
    const v = new Float64Array(theta.length);
    for (let t = 1; t <= 6; t++) {
      const net = TwoLayerNet.fromParameters({ ...unflatten(theta, 30, 1), beta: 0.52 });
      const g = flatten(net.gradient(data), 30, 1);
      theta = theta.map((x, i) => {
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! * g[i]!;
        return x - (lr * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8);
      });
    }
    const run = await train(small(), data, { method: 'adam', iterations: 6, learningRate: lr });
    expect(relDiff(params(run.net), theta)).toBeLessThan(1e-12);
  });

  it.each([
    ['sigmoid', 2],   // sigma' recovered from sigma, inputDim 2
    ['softplus', 2],  // sigma' kept beside sigma
    ['sin', 1],       // sigma' kept, inputDim 1
  ] as const)('gd and adam with %s at inputDim %i are the hand-written updates', async (activation: Activation, d) => {
    const dataD = randomDataset(11, 20, d);
    const start = TwoLayerNet.create({ width: 7, inputDim: d, seed: 5, activation });
    let gd = params(start);
    let adam = params(start);
    const m = new Float64Array(gd.length);
    const v = new Float64Array(gd.length);
    const at = (theta: Float64Array) => TwoLayerNet.fromParameters({ ...unflatten(theta, 7, d), beta: 0.52, activation });
    for (let t = 1; t <= 4; t++) {
      const g1 = flatten(at(gd).gradient(dataD), 7, d);
      gd = gd.map((x, i) => x - 0.3 * g1[i]!);
      const g2 = flatten(at(adam).gradient(dataD), 7, d);
      adam = adam.map((x, i) => {
        m[i] = 0.9 * m[i]! + 0.1 * g2[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g2[i]! * g2[i]!;
        return x - (0.01 * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8);
      });
    }
    const runGd = await train(start, dataD, { method: 'gd', iterations: 4, learningRate: 0.3 });
    const runAdam = await train(start, dataD, { method: 'adam', iterations: 4 });
    expect(relDiff(params(runGd.net), gd)).toBeLessThan(1e-12);
    expect(relDiff(params(runAdam.net), adam)).toBeLessThan(1e-12);
    expect(runGd.history.at(-1)!.loss).toBe(runGd.net.loss(dataD));
  });

  it("'adaptive' (the default) follows the reference rule: x0.8 on accept, x2 per rejected try, at most 6 tries", async () => {
    const run = await train(small(), data, { method: 'newton', iterations: 40 });
    const h = run.history;
    expect(h[1]!.lambda).toBe(1e-8 * 2 ** h[1]!.retries!);  // starts at 1e-8
    for (let t = 1; t < h.length; t++) {
      expect(h[t]!.loss).toBeLessThanOrEqual(h[t - 1]!.loss);  // only decreasing steps are taken
      expect(h[t]!.retries).toBeLessThanOrEqual(5);
      if (t + 1 < h.length) {
        const next = h[t]!.lambda! * (h[t]!.accepted ? 0.8 : 2) * 2 ** h[t + 1]!.retries!;
        expect(h[t + 1]!.lambda).toBeCloseTo(Math.min(Math.max(next, 1e-12), 1e2), 12);
      }
    }
    expect(h.some((r) => (r.retries ?? 0) > 0)).toBe(true);  // the indefinite start forces rejections
    expect(h.at(-1)!.loss).toBeLessThan(0.2 * h[0]!.loss);
  });

  it("'gain-ratio' (Nielsen) only takes steps that reduce the loss", async () => {
    const run = await train(small(), data, { method: 'gauss-newton', iterations: 30, damping: 'gain-ratio', regularization: { lambda: 1e-3 } });
    for (let t = 1; t < run.history.length; t++) {
      const r = run.history[t]!;
      if (r.accepted) expect(r.loss).toBeLessThan(run.history[t - 1]!.loss);
    }
    expect(run.history.at(-1)!.loss).toBeLessThan(0.5 * run.history[0]!.loss);
  });

  it("'curvature-aware' sets lambda = epsilon * lambda_min(B_t) at every iteration", async () => {
    // Four well-separated points: B_t is well conditioned, so lambda_min(B_t) is far above rounding.
    const net = TwoLayerNet.create({ width: 10, inputDim: 1, seed: 1 });
    const d = randomDataset(9, 4, 1);
    const run = await train(net, d, { method: 'gauss-newton', iterations: 2, damping: 'curvature-aware', epsilon: 3 });
    const B = ntkGramSync(net, d);
    const muMin = symmetricEigen(B, 4).values[0]!;
    expect(muMin).toBeGreaterThan(1e-6);
    expect(run.history[1]!.lambda! / (3 * muMin)).toBeCloseTo(1, 10);
  });

  it('an indefinite C + lambda I is rejected and lambda raised, unless allowIndefinite takes the LDL^T step', async () => {
    const net = TwoLayerNet.create({ width: 50, inputDim: 1, seed: 2 });
    const d = datasets.paperFigure1();
    const lambda = 1e-4;
    const strict = await train(net, d, { method: 'newton', iterations: 1, damping: 'fixed', regularization: { lambda }, solver: 'dense' });
    expect(strict.history[1]!.retries).toBeGreaterThan(0);
    expect(strict.history[1]!.lambda).toBeGreaterThan(lambda);
    const loose = await train(net, d, { method: 'newton', iterations: 1, damping: 'fixed', regularization: { lambda }, solver: 'dense', allowIndefinite: true });
    const step = newtonStepSync(net, d, { regularization: { lambda }, solver: 'dense' });
    expect(step.inertia.negative).toBeGreaterThan(0);
    expect(loose.history[1]!.inertia).toEqual(step.inertia);
    expect(relDiff(params(loose.net), params(net.withStep(step.step)))).toBeLessThan(1e-12);
  });
});

describe('train: records, stopping, threads, resume', () => {
  it('reports the Lemma 9 quantity and the step norm of the step taken', async () => {
    const run = await train(small(), data, { method: 'gauss-newton', iterations: 1, damping: 'fixed', regularization: { lambda: 1e-2 }, spectrum: 'extremal' });
    const step = newtonStepSync(small(), data, { regularization: { lambda: 1e-2 }, curvature: 'gauss-newton' });
    const s = flatten(step.step, 30, 1);
    let maxNeuron = 0;
    for (let i = 0; i < 30; i++) maxNeuron = Math.max(maxNeuron, Math.hypot(s[3 * i]!, s[3 * i + 1]!, s[3 * i + 2]!));
    const r = run.history[1]!;
    expect(r.maxNeuronUpdate).toBeCloseTo(maxNeuron, 12);
    expect(r.stepNorm).toBeCloseTo(step.stepNorm, 12);
    // Here P = 90 < M = 128: the smallest eigenvalue is lambda plus the 90th largest of J J^T / M, not lambda
    // itself (that it is within 1e-12 of lambda is only the Figure 3 Jacobian's numerical rank deficiency).
    const eig = newtonStepSync(small(), data, { regularization: { lambda: 1e-2 }, curvature: 'gauss-newton', solver: 'dense', spectrum: 'full' }).eigenvalues!;
    expect(Math.abs(r.minEigenvalue! - eig[0]!)).toBeLessThanOrEqual(1e-13 * eig[89]!);
    expect(Math.abs(r.maxEigenvalue! - eig[89]!)).toBeLessThanOrEqual(1e-13 * eig[89]!);
  });

  it('stops on iterations, targetLoss, timeLimitSeconds and an AbortSignal, and says why', async () => {
    const a = await train(small(), data, { method: 'gd', iterations: 7 });
    expect(a.stoppedBecause).toBe('iterations');
    expect(a.history).toHaveLength(8);
    const b = await train(small(), data, { method: 'newton', iterations: 500, targetLoss: 0.5 });
    expect(b.stoppedBecause).toBe('targetLoss');
    expect(b.history.at(-1)!.loss).toBeLessThanOrEqual(0.5);
    expect(b.history.at(-2)!.loss).toBeGreaterThan(0.5);
    const c = await train(small(), data, { method: 'gd', iterations: 1e8, timeLimitSeconds: 0.05 });
    expect(c.stoppedBecause).toBe('timeLimit');
    const controller = new AbortController();
    const seen: StepRecord[] = [];
    const d = await train(small(), data, {
      method: 'gd', iterations: 1e8, signal: controller.signal,
      onStep: (s) => { seen.push(s); if (seen.length === 3) controller.abort(); },
    });
    expect(d.stoppedBecause).toBe('aborted');
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(d.history).toEqual(seen);
  });

  it('runs off the main thread: a timer keeps firing during training', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const run = await train(TwoLayerNet.create({ width: 2000, inputDim: 1, seed: 1 }), data, { method: 'newton', iterations: 60 });
    clearInterval(timer);
    expect(run.history.at(-1)!.seconds).toBeGreaterThan(0.05);
    expect(ticks).toBeGreaterThan(3);
  });

  it('a resumed run continues exactly where the first one stopped', async () => {
    for (const method of ['newton', 'adam'] as const) {
      const whole = await train(small(), data, { method, iterations: 10 });
      const first = await train(small(), data, { method, iterations: 4 });
      const rest = await train(first.net, data, { method, iterations: 6, resume: first });
      expect(rest.history[0]!.iteration).toBe(4);
      expect(rest.history.at(-1)!.iteration).toBe(10);
      expect(rest.history[0]!.seconds).toBeGreaterThanOrEqual(first.history.at(-1)!.seconds);
      expect(params(rest.net)).toEqual(params(whole.net));
    }
  });

  it("gd and adam records carry net.loss of the network they describe, bit for bit", async () => {
    for (const method of ['gd', 'adam'] as const) {
      const run = await train(small(), data, { method, iterations: 3 });
      expect(run.history.at(-1)!.loss).toBe(run.net.loss(data));
      expect(run.history[0]!.loss).toBe(small().loss(data));
    }
  });

  it('gd and adam give the same bits on 1 and 2 threads (three neuron blocks, split 1 + 2)', async () => {
    const before = getThreads();
    const wide = TwoLayerNet.create({ width: 1200, inputDim: 1, seed: 4 });
    const runs: TrainingRun[] = [];
    try {
      for (const threads of [1, 2]) {
        setThreads(threads);
        for (const method of ['gd', 'adam'] as const) runs.push(await train(wide, data, { method, iterations: 3 }));
      }
    } finally {
      setThreads(before);
    }
    for (const k of [0, 1]) {
      expect(params(runs[k + 2]!.net)).toEqual(params(runs[k]!.net));
      expect(runs[k + 2]!.history.map((h) => h.loss)).toEqual(runs[k]!.history.map((h) => h.loss));
    }
  });

  it('gd and adam without room to keep the activation values (two evaluations an iteration) give the same bits', async () => {
    // The raw addon, to lower the memory cap below which the sweep keeps sigma (and sigma') per neuron and point.
    const rawRun = (net: TwoLayerNet, method: number, keptBytesLimit?: number) => {
      const records: StepRecord[] = [];
      const options = {
        method, learningRate: method === 2 ? 0.7 : 0.01, iterations: 5, targetLoss: -1, diagnostics: [], diagnosticsEvery: 1,
        ...(keptBytesLimit === undefined ? {} : { keptBytesLimit }),
      };
      const handle = native().train(state(net), nativeData(data), options, { iteration: 0, seconds: 0, lambda: 1e-8, nu: 2 },
        (r: never) => records.push(r));
      return handle.promise.then((out) => ({ out, losses: records.map((r) => r.loss) }));
    };
    for (const activation of ['tanh', 'softplus'] as const) {
      const net = TwoLayerNet.create({ width: 40, inputDim: 1, seed: 8, activation });
      for (const method of [2, 3]) {
        const kept = await rawRun(net, method);
        const recomputed = await rawRun(net, method, 0);
        expect(recomputed.out.W).toEqual(kept.out.W);
        expect(recomputed.out.c).toEqual(kept.out.c);
        expect(recomputed.losses).toEqual(kept.losses);
      }
    }
  });

  it('rejects with the error thrown by onStep', async () => {
    const p = train(small(), data, { method: 'gd', iterations: 100, onStep: () => { throw new Error('stop here'); } });
    await expect(p).rejects.toThrow('stop here');
  });
});

/** round(10^(k / perDecade)) for k = 0, 1, ... up to last: the log grid of record.perDecade. */
function logGrid(perDecade: number, last: number): Set<number> {
  const grid = new Set<number>();
  for (let k = 0; Math.round(10 ** (k / perDecade)) <= last; k++) grid.add(Math.round(10 ** (k / perDecade)));
  return grid;
}

describe('train: record thinning', () => {
  const iterationsOf = (run: TrainingRun) => run.history.map((h) => h.iteration);

  it('record.every keeps the multiples of every, the first and the last record', async () => {
    const run = await train(small(), data, { method: 'gd', iterations: 35, record: { every: 10 } });
    expect(iterationsOf(run)).toEqual([0, 10, 20, 30, 35]);
    const exact = await train(small(), data, { method: 'gd', iterations: 30, record: { every: 10 } });
    expect(iterationsOf(exact)).toEqual([0, 10, 20, 30]);
  });

  it('record.perDecade keeps round(10^(k / perDecade)); with every, the union; {} keeps the ends', async () => {
    const grid = await train(small(), data, { method: 'adam', iterations: 150, record: { perDecade: 5 } });
    expect(iterationsOf(grid)).toEqual([0, 1, 2, 3, 4, 6, 10, 16, 25, 40, 63, 100, 150]);
    const fine = await train(small(), data, { method: 'gd', iterations: 1000, record: { perDecade: 20 } });
    expect(iterationsOf(fine)).toEqual([0, ...[...logGrid(20, 1000)].sort((a, b) => a - b)]);
    const both = await train(small(), data, { method: 'gd', iterations: 120, record: { perDecade: 3, every: 50 } });
    expect(iterationsOf(both)).toEqual([0, 1, 2, 5, 10, 22, 46, 50, 100, 120]);
    const ends = await train(small(), data, { method: 'gd', iterations: 40, record: {} });
    expect(iterationsOf(ends)).toEqual([0, 40]);
  });

  it('a thinned run trains exactly as an unthinned one: parameters, state and the recorded losses', async () => {
    for (const method of ['gd', 'adam', 'newton'] as const) {
      const iterations = method === 'newton' ? 12 : 60;
      const whole = await train(small(), data, { method, iterations });
      const thin = await train(small(), data, { method, iterations, record: { every: 7, perDecade: 2 } });
      expect(params(thin.net)).toEqual(params(whole.net));
      expect(thin.state).toEqual({ ...whole.state, seconds: thin.state.seconds });
      for (const r of thin.history) {
        expect({ ...r, seconds: 0 }).toEqual({ ...whole.history[r.iteration]!, seconds: 0 });
      }
    }
  });

  it('onStep sees exactly the recorded history', async () => {
    const seen: StepRecord[] = [];
    const run = await train(small(), data, { method: 'adam', iterations: 500, record: { perDecade: 4 }, onStep: (s) => seen.push(s) });
    expect(run.history).toEqual(seen);
    expect(seen.length).toBe(1 + logGrid(4, 500).size + 1);  // iteration 0, the grid, and 500 (not on it)
  });

  it('the last record is the state the run stopped in, whatever the reason', async () => {
    const last = (run: TrainingRun) => {
      expect(run.history.at(-1)!.iteration).toBe(run.state.iteration);
      return run.history.at(-1)!;
    };
    const target = await train(small(), data, { method: 'newton', iterations: 500, targetLoss: 0.5, record: { every: 1000 } });
    expect(target.stoppedBecause).toBe('targetLoss');
    expect(last(target).loss).toBeLessThanOrEqual(0.5);
    expect(target.history).toHaveLength(2);
    const timed = await train(small(), data, { method: 'gd', iterations: 1e8, timeLimitSeconds: 0.05, record: { every: 1e7 } });
    expect(timed.stoppedBecause).toBe('timeLimit');
    expect(last(timed).iteration).toBeGreaterThan(0);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const aborted = await train(small(), data, { method: 'adam', iterations: 1e8, signal: controller.signal, record: { perDecade: 1 } });
    expect(aborted.stoppedBecause).toBe('aborted');
    last(aborted);
    const diverged = await train(small(), data, { method: 'gd', iterations: 200, learningRate: 1e6, record: {} });
    if (diverged.stoppedBecause === 'diverged') expect(Number.isFinite(last(diverged).loss)).toBe(false);
    else expect(last(diverged).iteration).toBe(200);
  });

  it('diagnostics come with the recorded iterations that are multiples of diagnostics.every', async () => {
    const run = await train(small(), data, { method: 'gd', iterations: 9, record: { every: 2 }, diagnostics: { components: true, every: 4 } });
    expect(iterationsOf(run)).toEqual([0, 2, 4, 6, 8, 9]);
    expect(run.history.filter((h) => h.components).map((h) => h.iteration)).toEqual([0, 4, 8]);
  });

  it('a resumed thinned run continues the grid and the training exactly', async () => {
    const whole = await train(small(), data, { method: 'adam', iterations: 40, record: { perDecade: 10 } });
    const first = await train(small(), data, { method: 'adam', iterations: 15, record: { perDecade: 10 } });
    const rest = await train(first.net, data, { method: 'adam', iterations: 25, resume: first, record: { perDecade: 10 } });
    expect(params(rest.net)).toEqual(params(whole.net));
    const joined = [...iterationsOf(first), ...iterationsOf(rest).slice(1)];  // rest starts where first ended
    expect(joined.filter((t) => t !== 15)).toEqual(iterationsOf(whole).filter((t) => t !== 15));
  });
});

describe('train: diagnostics (MATH.md section 6)', () => {
  it('component errors are |least-squares coefficients of f - y| on the data set basis', async () => {
    const net = small();
    const run = await train(net, data, { method: 'gd', iterations: 4, diagnostics: { components: true, every: 2 } });
    expect(run.componentNames).toEqual(['x', 'sin(2 pi x)', 'sin(8 pi x)', 'sin(10 pi x)', 'sin(16 pi x)']);
    expect(run.history[1]!.components).toBeUndefined();
    expect(run.history[2]!.components).toHaveLength(5);
    // Independent least squares by modified Gram-Schmidt QR on the basis columns.
    const M = data.size;
    const K = 5;
    const Phi = data.basis!.values;
    const r = Float64Array.from(net.predict(data.x), (f, m) => f - data.y[m]!);
    const Q: Float64Array[] = [];
    const R = new Float64Array(K * K);
    for (let k = 0; k < K; k++) {
      const v = Float64Array.from({ length: M }, (_, m) => Phi[m * K + k]!);
      for (let j = 0; j < k; j++) {
        let dot = 0;
        for (let m = 0; m < M; m++) dot += Q[j]![m]! * v[m]!;
        R[j * K + k] = dot;
        for (let m = 0; m < M; m++) v[m]! -= dot * Q[j]![m]!;
      }
      const n = Math.hypot(...v);
      R[k * K + k] = n;
      Q.push(v.map((x) => x / n));
    }
    const qtr = Q.map((q) => q.reduce((s, x, m) => s + x * r[m]!, 0));
    const coef = new Float64Array(K);
    for (let k = K - 1; k >= 0; k--) {
      let s = qtr[k]!;
      for (let j = k + 1; j < K; j++) s -= R[k * K + j]! * coef[j]!;
      coef[k] = s / R[k * K + k]!;
    }
    const got = run.history[0]!.components!;
    coef.forEach((c, k) => expect(Math.abs(got[k]! - Math.abs(c))).toBeLessThan(1e-10 * (1 + Math.abs(c))));
  });

  it('NTK-mode errors are |v_k . (f - y)| for the initial NTK eigenvectors, largest eigenvalue first', async () => {
    const net = small();
    const run = await train(net, data, { method: 'newton', iterations: 2, diagnostics: { ntkModes: true } });
    const { values, vectors } = symmetricEigen(ntkGramSync(net, data), data.size);
    const M = data.size;
    expect(Array.from(run.ntkEigenvalues!)).toEqual(Array.from(values).reverse());
    const r = Float64Array.from(net.predict(data.x), (f, m) => f - data.y[m]!);
    const top = M - 1;
    let dot = 0;
    for (let m = 0; m < M; m++) dot += vectors[m * M + top]! * r[m]!;
    expect(run.history[0]!.ntkModes![0]).toBeCloseTo(Math.abs(dot), 10);
    expect(run.history.every((h) => h.ntkModes?.length === M)).toBe(true);
  });
});

describe('train: bad input', () => {
  const net = small();
  it.each([
    [{ method: 'bfgs', iterations: 1 }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: -1 }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: 1.5 }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: Number.NaN }, 'E_NONFINITE'],
    [{ method: 'gd', iterations: 1, regularization: { lambda: 1 } }, 'E_ARGUMENT'],
    [{ method: 'newton', iterations: 1, damping: 'fixed' }, 'E_ARGUMENT'],
    [{ method: 'newton', iterations: 1, damping: 'levenberg' }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: 1, learningRate: 0 }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: 1, targetLoss: Number.NaN }, 'E_NONFINITE'],
    [{ method: 'gd', iterations: 1, timeLimitSeconds: -1 }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: 1, signal: {} }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: 1, onStep: 3 }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: 1, solver: 'dense' }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: 1, iterationz: 3 }, 'E_ARGUMENT'],
    [{ method: 'newton', iterations: 1, spectrum: 'full' }, 'E_ARGUMENT'],
    [{ method: 'gd', iterations: 1, diagnostics: { components: { names: ['a'], values: new Float64Array(3) } } }, 'E_SHAPE'],
    [{ method: 'gd', iterations: 1, diagnostics: { every: 0 } }, 'E_ARGUMENT'],
  ])('%o -> %s, as a rejected promise', async (options, code) => {
    await expect(train(net, data, options as never)).rejects.toMatchObject({ code });
  });
  it.each([
    [{ record: 10 }, 'E_ARGUMENT'],
    [{ record: null }, 'E_ARGUMENT'],
    [{ record: [10] }, 'E_ARGUMENT'],
    [{ record: { evry: 10 } }, 'E_ARGUMENT'],
    [{ record: { every: 0 } }, 'E_ARGUMENT'],
    [{ record: { every: -5 } }, 'E_ARGUMENT'],
    [{ record: { every: 2.5 } }, 'E_ARGUMENT'],
    [{ record: { every: '10' } }, 'E_ARGUMENT'],
    [{ record: { every: Number.POSITIVE_INFINITY } }, 'E_NONFINITE'],
    [{ record: { perDecade: 0 } }, 'E_ARGUMENT'],
    [{ record: { perDecade: -1 } }, 'E_ARGUMENT'],
    [{ record: { perDecade: 0.5 } }, 'E_ARGUMENT'],
    [{ record: { perDecade: Number.NaN } }, 'E_NONFINITE'],
    [{ record: { every: 10, perDecade: true } }, 'E_ARGUMENT'],
  ])('record %o -> an NntkError %s', async (extra, code) => {
    const error = await train(net, data, { method: 'gd', iterations: 1, ...extra } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NntkError);
    expect(error).toMatchObject({ code });
  });
  it('components without a basis, wrong data, wrong network', async () => {
    await expect(train(net, datasets.paperFigure1(), { method: 'gd', iterations: 1, diagnostics: { components: true } })).rejects.toBeInstanceOf(NntkError);
    await expect(train(net, randomDataset(1, 5, 2), { method: 'gd', iterations: 1 })).rejects.toMatchObject({ code: 'E_SHAPE' });
    await expect(train({} as never, data, { method: 'gd', iterations: 1 })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
  });
  it('a divergent learning rate stops with diverged, not NaN records', async () => {
    const run = await train(net, data, { method: 'gd', iterations: 200, learningRate: 1e6 });
    expect(['diverged', 'iterations']).toContain(run.stoppedBecause);
    if (run.stoppedBecause === 'diverged') expect(Number.isFinite(run.history.at(-1)!.loss)).toBe(false);
  });
  void expectCode;
});
