/**
 * train() (docs/MATH.md sections 3 and 6) against computations written here: manual loops of exact
 * steps, hand-written gradient descent and Adam, the damping rules' bookkeeping, and the diagnostics'
 * least-squares and eigenmode projections.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  type Activation,
  Dataset,
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
import * as kernels from '../src/kernels.js';
import { state } from '../src/model.js';
import { native } from '../src/native.js';
import type { ResumeState } from '../src/train.js';
import { expectCode, flatten, maxAbs, maxAbsDiff, randomDataset, unflatten } from './helpers.js';

// The kernels module with its NTK Gram functions observed (behaviour unchanged), to see which one train
// calls for diagnostics.ntkModes.
vi.mock('../src/kernels.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/kernels.js')>();
  return { ...original, ntkGram: vi.fn(original.ntkGram), ntkGramSync: vi.fn(original.ntkGramSync) };
});

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

  it('an indefinite C + lambda I is a rejected try (adaptive: lambda raised), unless allowIndefinite takes the LDL^T step', async () => {
    const net = TwoLayerNet.create({ width: 50, inputDim: 1, seed: 2 });
    const d = datasets.paperFigure1();
    const lambda = 1e-4;
    const strict = await train(net, d, { method: 'newton', iterations: 1, regularization: { lambda }, solver: 'dense' });
    expect(strict.history[1]!.retries).toBeGreaterThan(0);
    expect(strict.history[1]!.lambda).toBe(lambda * 2 ** strict.history[1]!.retries!);
    const loose = await train(net, d, { method: 'newton', iterations: 1, damping: 'fixed', regularization: { lambda }, solver: 'dense', allowIndefinite: true });
    const step = newtonStepSync(net, d, { regularization: { lambda }, solver: 'dense' });
    expect(step.inertia.negative).toBeGreaterThan(0);
    expect(loose.history[1]!.inertia).toEqual(step.inertia);
    expect(relDiff(params(loose.net), params(net.withStep(step.step)))).toBeLessThan(1e-12);
  });

  it("'fixed' never changes lambda: not clamped to [1e-12, 1e2] after a step", async () => {
    for (const [method, lambda] of [['gauss-newton', 1e3], ['newton', 250]] as const) {
      let manual = small();
      for (let k = 0; k < 3; k++) {
        manual = manual.withStep(newtonStepSync(manual, data, { regularization: { lambda }, curvature: method, solver: 'structured' }).step);
      }
      const run = await train(small(), data, { method, iterations: 3, damping: 'fixed', regularization: { lambda }, solver: 'structured' });
      expect(run.history.map((h) => h.lambda)).toEqual([lambda, lambda, lambda, lambda]);
      expect(run.state.lambda).toBe(lambda);
      expect(relDiff(params(run.net), params(manual))).toBeLessThan(1e-12);
    }
  });

  it("'fixed' with an indefinite C + lambda I rejects the iteration without changing lambda and stops as stalled", async () => {
    const net = TwoLayerNet.create({ width: 50, inputDim: 1, seed: 2 });
    const d = datasets.paperFigure1();
    const lambda = 1e-4;
    const run = await train(net, d, { method: 'newton', iterations: 20, damping: 'fixed', regularization: { lambda }, solver: 'dense' });
    expect(run.stoppedBecause).toBe('stalled');
    expect(run.history).toHaveLength(2);
    const r = run.history[1]!;
    expect(r).toMatchObject({ iteration: 1, accepted: false, lambda, retries: 0, rejectedTries: 1, costChange: 0 });
    expect(r.inertia).toEqual(newtonStepSync(net, d, { regularization: { lambda }, solver: 'dense' }).inertia);
    expect(r.inertia!.negative).toBeGreaterThan(0);
    expect(run.state.lambda).toBe(lambda);
    expect(params(run.net)).toEqual(params(net));
    expect(run.summary.termination).toBe('stalled');
    expect(run.summary.message).toContain('allowIndefinite');
    expect(run.summary).toMatchObject({ iterations: 1, acceptedSteps: 0, rejectedTries: 1, rejectedIterations: 1, solves: 1 });
  });

  it("'curvature-aware' retries raise lambda from epsilon * lambda_min(B_t) within the iteration (Newton, indefinite)", async () => {
    const net = TwoLayerNet.create({ width: 10, inputDim: 1, seed: 1 });
    const d = randomDataset(9, 4, 1);
    const mu = symmetricEigen(ntkGramSync(net, d), 4).values[0]!;
    // C + lambda I is positive definite exactly for lambda > e = -lambda_min(C).
    const tiny = 1e-9;
    const e = tiny - newtonStepSync(net, d, { regularization: { lambda: tiny }, solver: 'dense', spectrum: 'extremal' }).minEigenvalue!;
    expect(e).toBeGreaterThan(0.05);
    // Tries at e/5, 2e/5, 4e/5 are indefinite; the fourth, at 8e/5, is taken.
    const epsilon = e / (5 * mu);
    const run = await train(net, d, { method: 'newton', iterations: 1, damping: 'curvature-aware', epsilon, solver: 'dense' });
    const r = run.history[1]!;
    expect(r).toMatchObject({ accepted: true, retries: 3, rejectedTries: 3 });
    expect(r.lambda! / (8 * epsilon * mu)).toBeCloseTo(1, 10);
    const step = newtonStepSync(net, d, { regularization: { lambda: r.lambda! }, solver: 'dense' });
    expect(step.inertia.negative).toBe(0);
    expect(relDiff(params(run.net), params(net.withStep(step.step)))).toBeLessThan(1e-10);
  });

  it("'adaptive' and 'gain-ratio' stop as stalled when a try at the upper bound lambda = 1e2 is rejected", async () => {
    // Targets the network fits exactly: the loss is 0, the gradient and so every step are 0, and no try
    // can reduce the loss (adaptive) or have a positive predicted decrease (gain-ratio).
    const net = small();
    const x = Float64Array.from({ length: 12 }, (_, k) => -1 + k / 6);
    const exact = Dataset.create({ x, y: net.predict(x), inputDim: 1 });
    for (const damping of ['adaptive', 'gain-ratio'] as const) {
      const run = await train(net, exact, { method: 'newton', iterations: 10, damping, regularization: { lambda: 1e2 } });
      expect(run.stoppedBecause).toBe('stalled');
      expect(run.history).toHaveLength(2);
      expect(run.history[1]).toMatchObject({ accepted: false, lambda: 1e2, retries: 0, rejectedTries: 1 });
      expect(run.state).toMatchObject({ lambda: 1e2, nu: 2 });
      expect(run.summary.message).toContain(`the '${damping}' rule cannot change lambda`);
    }
  });

  it("'curvature-aware' stops as stalled when no try of an iteration can be taken", async () => {
    // lambda_min(B_t) is below the lower bound 1e-12 here, so the tries are at 1e-12 * 2^k, k = 0..5: all
    // indefinite, and the next iteration, from the same parameters, would repeat them.
    const net = TwoLayerNet.create({ width: 50, inputDim: 1, seed: 2 });
    const d = datasets.paperFigure1();
    expect(symmetricEigen(ntkGramSync(net, d), d.size).values[0]!).toBeLessThan(1e-12);
    const run = await train(net, d, { method: 'newton', iterations: 50, damping: 'curvature-aware', solver: 'dense' });
    expect(run.stoppedBecause).toBe('stalled');
    expect(run.history).toHaveLength(2);
    const r = run.history[1]!;
    expect(r).toMatchObject({ accepted: false, retries: 5, rejectedTries: 6 });
    expect(r.lambda! / (1e-12 * 2 ** 5)).toBeCloseTo(1, 12);
    expect(r.inertia!.negative).toBeGreaterThan(0);
    expect(params(run.net)).toEqual(params(net));
    expect(run.summary.message).toContain('6 tries were rejected');
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
    const rawRun = (net: TwoLayerNet, method: 'gd' | 'adam', keptBytesLimit?: number) => {
      const records: StepRecord[] = [];
      const options = {
        method, learningRate: method === 'gd' ? 0.7 : 0.01, iterations: 5, targetLoss: -1, diagnostics: [], diagnosticsEvery: 1,
        ...(keptBytesLimit === undefined ? {} : { keptBytesLimit }),
      };
      const handle = native().train(state(net), nativeData(data), options, { iteration: 0, seconds: 0, lambda: 1e-8, nu: 2 },
        (r: never) => records.push(r));
      return handle.promise.then((out) => ({ out, losses: records.map((r) => r.loss) }));
    };
    for (const activation of ['tanh', 'softplus'] as const) {
      const net = TwoLayerNet.create({ width: 40, inputDim: 1, seed: 8, activation });
      for (const method of ['gd', 'adam'] as const) {
        const kept = await rawRun(net, method);
        const recomputed = await rawRun(net, method, 0);
        expect(recomputed.out.W).toEqual(kept.out.W);
        expect(recomputed.out.c).toEqual(kept.out.c);
        expect(recomputed.losses).toEqual(kept.losses);
      }
    }
  });

  it('records carry the cost change, gain ratio, rejected tries and solve timings of their iteration', async () => {
    const lambda = 1e-3;
    const run = await train(small(), data, { method: 'gauss-newton', iterations: 8, damping: 'gain-ratio', regularization: { lambda } });
    const h = run.history;
    expect(h[0]!.costChange).toBeUndefined();
    expect(h[0]!.timings).toBeUndefined();
    for (let t = 1; t < h.length; t++) {
      const r = h[t]!;
      expect(r.costChange).toBe(h[t - 1]!.loss - r.loss);
      expect(r.rejectedTries).toBe(r.retries! + (r.accepted ? 0 : 1));
      if (r.accepted) expect(r.gainRatio).toBeGreaterThan(0);  // Nielsen keeps exactly the steps with rho > 0
      const timings = r.timings!;
      expect(Object.keys(timings).sort()).toEqual(
        ['assembly', 'candidates', 'condition', 'damping', 'evaluation', 'factorization', 'inertia', 'solve', 'spectrum']);
      expect(Object.values(timings).every((v) => v >= 0)).toBe(true);
      expect(timings.factorization + timings.assembly).toBeGreaterThan(0);
    }
    // rho of the first step, from the Jacobian: the Gauss-Newton model predicts -(g.s + |J s|^2 / (2M)).
    const net = small();
    const r1 = h[1]!;
    expect(r1.accepted).toBe(true);
    const s = flatten(newtonStepSync(net, data, { regularization: { lambda: r1.lambda! }, curvature: 'gauss-newton' }).step, 30, 1);
    const g = flatten(net.gradient(data), 30, 1);
    const J = net.jacobian(data);
    const M = data.size;
    const P = s.length;
    let gs = 0;
    let js2 = 0;
    for (let k = 0; k < P; k++) gs += g[k]! * s[k]!;
    for (let m = 0; m < M; m++) {
      let js = 0;
      for (let k = 0; k < P; k++) js += J[m * P + k]! * s[k]!;
      js2 += js * js;
    }
    const rho = (h[0]!.loss - r1.loss) / -(gs + js2 / (2 * M));
    expect(r1.gainRatio! / rho).toBeCloseTo(1, 8);
  });

  it('the summary: counts, costs, termination and time split, as numbers and as brief and full text', async () => {
    const run = await train(small(), data, { method: 'newton', iterations: 12 });
    const h = run.history.slice(1);
    const s = run.summary;
    expect(s).toMatchObject({
      method: 'newton', damping: 'adaptive', solver: run.solver, termination: 'iterations', firstIteration: 0, iterations: 12,
      acceptedSteps: h.filter((r) => r.accepted).length,
      rejectedIterations: h.filter((r) => !r.accepted).length,
      rejectedTries: h.reduce((n, r) => n + r.rejectedTries!, 0),
      solves: h.reduce((n, r) => n + r.retries! + 1, 0),
      initialCost: run.history[0]!.loss, finalCost: run.history.at(-1)!.loss, initialLambda: 1e-8, finalLambda: run.state.lambda,
    });
    expect(s.rejectedTries).toBeGreaterThan(0);
    const sum = (key: keyof import('../src/train.js').IterationTimings) => h.reduce((n, r) => n + r.timings![key], 0);
    for (const key of ['assembly', 'factorization', 'solve', 'candidates'] as const) expect(s.time.iteration![key]).toBeCloseTo(sum(key), 12);
    expect(s.time.setup + s.time.iterations + s.time.records).toBeCloseTo(s.time.total, 9);
    expect(s.time.total).toBeLessThanOrEqual(run.state.seconds);
    expect(s.brief).not.toContain('\n');
    for (const text of ['newton', 'adaptive', 'iterations: 12', `accepted steps: ${s.acceptedSteps}`,
      `rejected tries: ${s.rejectedTries}`, `initial cost: ${s.initialCost.toExponential(6)}`,
      `final cost: ${s.finalCost.toExponential(6)}`, 'termination: iterations']) {
      expect(s.brief).toContain(text.replace(/e([+-])(\d)$/, 'e$10$2'));
    }
    for (const line of [/method +newton/, /damping +adaptive/, new RegExp(`rejected tries +${s.rejectedTries}`), /factorization +\d/,
      /candidate losses +\d/, /total +\d/, /termination +iterations: /]) {
      expect(s.full).toMatch(line);
    }
    const first = await train(small(), data, { method: 'adam', iterations: 5 });
    expect(first.summary).toMatchObject({ method: 'adam', solver: 'first-order', iterations: 5, acceptedSteps: 5, rejectedTries: 0 });
    expect(first.summary.damping).toBeUndefined();
    expect(first.summary.full).not.toMatch(/lambda|damping/);
    const resumed = await train(first.net, data, { method: 'adam', iterations: 3, resume: first });
    expect(resumed.summary).toMatchObject({ firstIteration: 5, iterations: 3, initialCost: first.summary.finalCost });
    expect(resumed.summary.full).toContain('3 (5 to 8)');
  });

  it('a numerical failure of a solve ends the run as failed, with its history and the error, instead of rejecting', async () => {
    // Gauss-Newton with lambda = 0 and P = 90 > M = 4: J^T J / M is singular.
    const d = randomDataset(9, 4, 1);
    for (const solver of ['dense', 'structured'] as const) {
      const seen: StepRecord[] = [];
      const run = await train(small(), d, {
        method: 'gauss-newton', iterations: 5, damping: 'fixed', regularization: { lambda: 0 }, solver, record: {}, onStep: (r) => seen.push(r),
      });
      expect(run.stoppedBecause).toBe('failed');
      expect(run.error!.code).toBe('E_SINGULAR');
      expect(run.error!.message).toMatch(/singular/);
      expect(run.history).toEqual(seen);
      expect(run.history.map((h) => h.iteration)).toEqual([0]);
      expect(run.history[0]!.loss).toBe(small().loss(d));
      expect(run.state.iteration).toBe(0);
      expect(params(run.net)).toEqual(params(small()));
      expect(run.summary).toMatchObject({ termination: 'failed', iterations: 0, solves: 1 });
      expect(run.summary.message).toContain('E_SINGULAR');
      expect(run.summary.brief).toContain('termination: failed');
    }
  });

  it('cancellation takes effect between the tries of an iteration, which is undone (resumable exactly)', async () => {
    // The raw addon's test hook cancels during the run's second solve, in iteration 1, which rejects its
    // first tries (the indefinite start): the run stops before a third solve.
    const first = await train(small(), data, { method: 'newton', iterations: 1, solver: 'structured' });
    expect(first.history[1]!.rejectedTries).toBeGreaterThanOrEqual(3);
    const records: StepRecord[] = [];
    const options = { method: 'newton', damping: 'adaptive', solver: 'structured', spectrum: 'inertia', lambda: 1e-8, iterations: 3, cancelAfterSolves: 2 };
    const handle = native().train(state(small()), nativeData(data), options, { method: 'newton', iteration: 0, seconds: 0, lambda: 1e-8, nu: 2 },
      (r: never) => records.push(r));
    const out = await handle.promise;
    expect(out.stoppedBecause).toBe('aborted');
    expect(records.map((r) => r.iteration)).toEqual([0]);
    expect(out.summary).toMatchObject({ termination: 'aborted', iterations: 0, solves: 2, rejectedTries: 2 });
    expect(out.summary.message).toContain('between the tries of iteration 1');
    expect(out.state).toMatchObject({ iteration: 0, lambda: 1e-8, nu: 2 });
    expect(Array.from(out.W)).toEqual(Array.from(small().parameters().W));
    const whole = await train(small(), data, { method: 'newton', iterations: 3, solver: 'structured' });
    const rest = await train(small(), data, { method: 'newton', iterations: 3, solver: 'structured', resume: { state: out.state as never } });
    expect(params(rest.net)).toEqual(params(whole.net));
    expect(rest.history.map((r) => r.lambda)).toEqual(whole.history.map((r) => r.lambda));
  });

  it('rejects with the error thrown by onStep', async () => {
    const p = train(small(), data, { method: 'gd', iterations: 100, onStep: () => { throw new Error('stop here'); } });
    await expect(p).rejects.toThrow('stop here');
  });
});

describe('train: resume.state is checked against the network and method', () => {
  const adamRun = () => train(small(), data, { method: 'adam', iterations: 4 });

  it('a JSON round-tripped state (moments as plain arrays) resumes exactly', async () => {
    const whole = await train(small(), data, { method: 'adam', iterations: 10 });
    const first = await adamRun();
    const text = JSON.stringify({ ...first.state, adamM: Array.from(first.state.adamM!), adamV: Array.from(first.state.adamV!) });
    const restored = JSON.parse(text) as ResumeState;
    expect(Array.isArray(restored.adamM)).toBe(true);
    const rest = await train(first.net, data, { method: 'adam', iterations: 6, resume: { state: restored } });
    expect(params(rest.net)).toEqual(params(whole.net));
    expect(rest.state.method).toBe('adam');
  });

  const P = 90;
  it.each([
    ['an Int8Array moment', { adamM: new Int8Array(P), adamV: new Int8Array(P) }, 'E_ARGUMENT'],
    ['a Float32Array moment', { adamM: new Float32Array(P), adamV: new Float64Array(P) }, 'E_ARGUMENT'],
    ['moments of another length', { adamM: new Float64Array(P - 3), adamV: new Float64Array(P - 3) }, 'E_SHAPE'],
    ['one moment without the other', { adamV: undefined }, 'E_ARGUMENT'],
    ['a non-finite moment', { adamM: Float64Array.from({ length: P }, (_, k) => (k === 7 ? Number.NaN : 0)) }, 'E_NONFINITE'],
    ['a negative second moment', { adamV: Float64Array.from({ length: P }, (_, k) => (k === 7 ? -1 : 0)) }, 'E_ARGUMENT'],
    ['a string in a moment array', { adamM: Array.from({ length: P }, (_, k) => (k === 3 ? '0' : 0)) }, 'E_ARGUMENT'],
    ['iteration -5', { iteration: -5 }, 'E_ARGUMENT'],
    ['iteration 2.5', { iteration: 2.5 }, 'E_ARGUMENT'],
    ['seconds NaN', { seconds: Number.NaN }, 'E_NONFINITE'],
    ['seconds -1', { seconds: -1 }, 'E_ARGUMENT'],
    ['lambda Infinity', { lambda: Number.POSITIVE_INFINITY }, 'E_NONFINITE'],
    ['nu 0', { nu: 0 }, 'E_ARGUMENT'],
    ['no lambda', { lambda: undefined }, 'E_ARGUMENT'],
    ['another method', { method: 'gd' }, 'E_ARGUMENT'],
    ['an unknown method', { method: 'sgd' }, 'E_ARGUMENT'],
    ['an unknown field', { momentum: 1 }, 'E_ARGUMENT'],
  ])('%s -> %s', async (_what, change, code) => {
    const first = await adamRun();
    const bad = { ...first.state, ...change } as Record<string, unknown>;
    for (const key of Object.keys(change)) if ((change as Record<string, unknown>)[key] === undefined) delete bad[key];
    const error = await train(first.net, data, { method: 'adam', iterations: 2, resume: { state: bad as never } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NntkError);
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toContain('resume.state');
  });

  it('a state straight from JSON.stringify (moments as index objects) is refused with a hint, not silently reset', async () => {
    const first = await adamRun();
    const restored = JSON.parse(JSON.stringify(first.state)) as ResumeState;
    const error = await train(first.net, data, { method: 'adam', iterations: 2, resume: { state: restored } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_ARGUMENT' });
    expect((error as Error).message).toContain('Array.from');
  });

  it('states that do not belong to the method: Adam moments elsewhere, Adam iterations without moments, another run', async () => {
    const first = await adamRun();
    await expect(train(first.net, data, { method: 'gd', iterations: 1, resume: first })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    const { adamM: _m, adamV: _v, method: _method, ...bare } = first.state;
    await expect(train(first.net, data, { method: 'adam', iterations: 1, resume: { state: bare } })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    await expect(train(first.net, data, { method: 'gd', iterations: 1, resume: { state: { ...bare } } })).resolves.toMatchObject({ stoppedBecause: 'iterations' });
    const newton = await train(small(), data, { method: 'newton', iterations: 1 });
    await expect(train(newton.net, data, { method: 'gauss-newton', iterations: 1, resume: newton })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    const wide = TwoLayerNet.create({ width: 31, inputDim: 1, seed: 3 });
    await expect(train(wide, data, { method: 'adam', iterations: 1, resume: first })).rejects.toMatchObject({ code: 'E_SHAPE' });
  });
});

describe('train: the raw addon is strict too', () => {
  const rawOptions = { method: 'adam', iterations: 1 };
  const rawState = { iteration: 0, seconds: 0, lambda: 1e-8, nu: 2 };
  const call = (options: Record<string, unknown>, s: Record<string, unknown>) => () =>
    native().train(state(small()), nativeData(data), options, s, () => undefined);
  it.each([
    ['adamM an Int8Array', {}, { adamM: new Int8Array(90), adamV: new Float64Array(90) }, 'E_ARGUMENT'],
    ['adamV a Float32Array', {}, { adamM: new Float64Array(90), adamV: new Float32Array(90) }, 'E_ARGUMENT'],
    ['moments of length 89', {}, { adamM: new Float64Array(89), adamV: new Float64Array(89) }, 'E_SHAPE'],
    ['adamM without adamV', {}, { adamM: new Float64Array(90) }, 'E_ARGUMENT'],
    ['iteration -5', {}, { iteration: -5 }, 'E_ARGUMENT'],
    ['seconds NaN', {}, { seconds: Number.NaN }, 'E_NONFINITE'],
    ['a state of another method', {}, { method: 'gd' }, 'E_ARGUMENT'],
    ['method as an index', { method: 3 }, {}, 'E_ARGUMENT'],
    ['an unknown method', { method: 'bfgs' }, {}, 'E_ARGUMENT'],
    ['an unknown damping', { damping: 'levenberg' }, {}, 'E_ARGUMENT'],
    ['an unknown solver', { solver: 'cg' }, {}, 'E_ARGUMENT'],
    ['an unknown spectrum', { spectrum: 2 }, {}, 'E_ARGUMENT'],
    ['a Float32Array diagnostic', { diagnostics: [new Float32Array(128)] }, {}, 'E_ARGUMENT'],
    ['a diagnostic without M columns', { diagnostics: [new Float64Array(129)] }, {}, 'E_SHAPE'],
    ['lambda NaN', { lambda: Number.NaN }, {}, 'E_NONFINITE'],
    ['an unknown option', { iterationz: 3 }, {}, 'E_ARGUMENT'],
  ])('%s -> %s', (_what, options, s, code) => {
    expectCode(call({ ...rawOptions, ...options }, { ...rawState, ...s }), code);
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
        const timeless = (h: StepRecord) => ({ ...h, seconds: 0, timings: undefined });  // timings differ run to run
        expect(timeless(r)).toEqual(timeless(whole.history[r.iteration]!));
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
    // A basis function scaled by 1e300 (its values near 1e308 overflowed the normal equations to NaN) has
    // its coefficient scaled by 1e-300, the others unchanged.
    const big = Float64Array.from(data.basis!.values, (v, k) => (k % K === 1 ? v * 1e300 : v));
    const scaled = await train(small(), data, { method: 'gd', iterations: 1, diagnostics: { components: { names: data.basis!.names, values: big } } });
    const again = scaled.history[0]!.components!;
    got.forEach((c, k) => expect(Math.abs((k === 1 ? again[k]! * 1e300 : again[k]!) - c)).toBeLessThan(1e-10 * (1 + c)));
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

  it('the NTK Gram of the ntkModes diagnostics is computed off the main thread (the async ntkGram)', async () => {
    vi.mocked(kernels.ntkGram).mockClear();
    vi.mocked(kernels.ntkGramSync).mockClear();
    const run = await train(small(), data, { method: 'gd', iterations: 1, diagnostics: { ntkModes: true } });
    expect(kernels.ntkGram).toHaveBeenCalledTimes(1);
    expect(kernels.ntkGramSync).not.toHaveBeenCalled();
    expect(run.history[0]!.ntkModes).toHaveLength(data.size);
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
});

describe('train: divergence is reported, never silent', () => {
  const data = datasets.paperFigure1();
  it('a step whose norm overflows stops the run as diverged even when the loss stays finite', async () => {
    // tanh is bounded, so Adam at a learning rate of 1e308 keeps f (and the loss) finite while the step
    // norm passes the largest double.
    const run = await train(TwoLayerNet.create({ width: 4, inputDim: 1, seed: 824 }), data, { method: 'adam', iterations: 4, learningRate: 1e308 });
    expect(run.stoppedBecause).toBe('diverged');
    expect(run.summary.message).toMatch(/overflowed/);
    expect(run.history.length).toBeLessThan(5);
  });

  it('divergence at the last iteration is reported as diverged, not as the iteration limit', async () => {
    const x = Float64Array.from({ length: 4 }, (_, k) => 1e150 * Math.sin(2.328 * k + 0.326));
    const wild = Dataset.create({ x, y: [0.1, 0.2, 0.3, 0.4] });
    const net = TwoLayerNet.create({ width: 1, inputDim: 1, activation: 'gelu', seed: 652269133 });
    for (const iterations of [1, 19]) {
      const run = await train(net, wild, { method: 'gd', iterations, learningRate: 4 });
      expect(run.stoppedBecause).toBe('diverged');
      const last = run.history.at(-1)!;
      expect(Number.isFinite(last.loss) && Number.isFinite(last.stepNorm ?? 0)).toBe(false);
      if (run.error) expect(run.error.code).toBe('E_NONFINITE');
    }
  });
});

describe('train: hostile options found by the fuzz test', () => {
  const data = datasets.paperFigure1();
  const net = TwoLayerNet.create({ width: 2, inputDim: 1, seed: 65 });
  it('Proxy-wrapped or enormous sparse moment arrays and forged signals are NntkErrors, not TypeErrors or hangs', async () => {
    const P = net.parameterCount;
    const state = (adamM: unknown) => ({ iteration: 1, seconds: 0, lambda: 1e-8, nu: 2, adamM, adamV: new Float64Array(P).fill(0.5) }) as never;
    await expect(train(net, data, { method: 'adam', iterations: 1, resume: { state: state(new Proxy(new Float64Array(P), {})) } })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
    await expect(train(net, data, { method: 'adam', iterations: 1, resume: { state: state(new Array(2 ** 32 - 1)) } })).rejects.toMatchObject({ code: 'E_SHAPE' });
    await expect(train(net, data, { method: 'gd', iterations: 1, signal: Object.create(AbortSignal.prototype) })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
  });
});
