/**
 * oneStepGrid (docs/MATH.md section 6) against the separate public calls it replaces: newtonStep, withStep,
 * loss and nntkGram per (data set, regularization), for both curvatures, at widths where Gauss-Newton's
 * stepped outputs come from tanh's Taylor series (large width, small steps) and where they come from
 * tanh itself; failures per point; bad input.
 */
import { describe, expect, it } from 'vitest';
import {
  Dataset,
  datasets,
  isStepPoint,
  newtonStepSync,
  nntkGramSync,
  ntkGramSync,
  oneStepGrid,
  oneStepGridSync,
  relativeFrobeniusError,
  TwoLayerNet,
  type OneStepGridPoint,
} from '../src/index.js';
import { expectCode, maxAbsDiff } from './helpers.js';

const fig1 = datasets.paperFigure1();
const fig2 = datasets.paperFigure1({ frequency: 20 });

function reference(net: TwoLayerNet, data: Dataset, gamma: number, curvature: 'newton' | 'gauss-newton') {
  const r = newtonStepSync(net, data, { regularization: { gamma }, curvature, solver: 'structured' });
  let max = 0;
  for (let i = 0; i < net.width; i++) max = Math.max(max, Math.hypot(r.step.W[i]!, r.step.b[i]!, r.step.c[i]!));
  return {
    lossAfter: net.withStep(r.step).loss(data),
    maxNeuronUpdate: max,
    stepNorm: r.stepNorm,
    negative: r.inertia.negative,
    nntk: nntkGramSync(net, data, { regularization: { gamma }, curvature }),
  };
}

function point(p: unknown): OneStepGridPoint {
  if (!isStepPoint(p as OneStepGridPoint)) throw new Error(`expected a computed point, got ${JSON.stringify(p)}`);
  return p as OneStepGridPoint;
}

describe('oneStepGrid equals a step, withStep, loss and nntkGram per point', () => {
  for (const curvature of ['gauss-newton', 'newton'] as const) {
    for (const width of [7, 300, 40000]) {
      it(`${curvature}, width ${width}, two targets, gamma 1e-1 .. 1e-6`, () => {
        const net = TwoLayerNet.create({ width, inputDim: 1, seed: 11 });
        const gammas = [1e-1, 1e-3, 1e-6];
        const grid = oneStepGridSync(net, [fig1, fig2], { regularizations: gammas.map((gamma) => ({ gamma })), curvature });
        expect(grid.datasets).toHaveLength(2);
        expect(maxAbsDiff(grid.f0, net.predict(fig1.x))).toBeLessThan(1e-14);
        [fig1, fig2].forEach((data, t) => {
          expect(grid.datasets[t]!.loss).toBeCloseTo(net.loss(data), 14);
          gammas.forEach((gamma, k) => {
            const p = point(grid.datasets[t]!.points[k]);
            const ref = reference(net, data, gamma, curvature);
            expect(p.lambda).toBe(gamma * width ** (1 - 2 * 0.52));
            expect(Math.abs(p.lossAfter - ref.lossAfter) / ref.lossAfter).toBeLessThan(1e-9);
            expect(Math.abs(p.maxNeuronUpdate - ref.maxNeuronUpdate) / ref.maxNeuronUpdate).toBeLessThan(1e-9);
            expect(Math.abs(p.stepNorm - ref.stepNorm) / ref.stepNorm).toBeLessThan(1e-9);
            expect(relativeFrobeniusError(p.nntk, ref.nntk)).toBeLessThan(1e-9);
            expect(p.inertia.negative).toBe(ref.negative);
          });
        });
        if (curvature === 'gauss-newton') expect(relativeFrobeniusError(grid.ntk!, ntkGramSync(net, fig1))).toBeLessThan(1e-13);
        else expect(grid.ntk).toBeUndefined();
      });
    }
  }

  it("Gauss-Newton's Taylor evaluation of the stepped tanh network matches tanh to rounding (width 200000)", () => {
    // At this width and gamma the per-neuron updates are ~1e-2, so the stepped outputs come from the series.
    const net = TwoLayerNet.create({ width: 200000, inputDim: 1, seed: 5 });
    const grid = oneStepGridSync(net, fig1, { regularizations: [{ gamma: 0.1 }, { gamma: 0.01 }], curvature: 'gauss-newton' });
    for (const [k, gamma] of [0.1, 0.01].entries()) {
      const p = point(grid.datasets[0]!.points[k]);
      expect(p.maxNeuronUpdate).toBeLessThan(0.05);
      const r = newtonStepSync(net, fig1, { regularization: { gamma }, curvature: 'gauss-newton', solver: 'structured' });
      const f1 = net.withStep(r.step).predict(fig1.x);
      const direct = f1.reduce((s, v, m) => s + (v - fig1.y[m]!) ** 2, 0) / (2 * fig1.size);
      expect(Math.abs(p.lossAfter - direct)).toBeLessThan(1e-13 * Math.max(direct, 1e-3));
    }
  });

  it('inputDim 3 and other activations take the direct path and still agree', () => {
    const data = Dataset.create({ x: Float64Array.from({ length: 30 }, (_, k) => Math.sin(k)), y: Float64Array.from({ length: 10 }, (_, k) => Math.cos(k)), inputDim: 3 });
    for (const activation of ['tanh', 'softplus', 'sin'] as const) {
      const net = TwoLayerNet.create({ width: 500, inputDim: 3, seed: 2, activation });
      const grid = oneStepGridSync(net, data, { regularizations: [{ gamma: 0.05 }], curvature: 'gauss-newton' });
      const p = point(grid.datasets[0]!.points[0]);
      const ref = reference(net, data, 0.05, 'gauss-newton');
      expect(Math.abs(p.lossAfter - ref.lossAfter) / ref.lossAfter).toBeLessThan(1e-9);
      expect(relativeFrobeniusError(p.nntk, ref.nntk)).toBeLessThan(1e-9);
    }
  });

  it('the async twin gives the same numbers', async () => {
    const net = TwoLayerNet.create({ width: 1000, inputDim: 1, seed: 4 });
    const o = { regularizations: [{ gamma: 0.1 }, { lambda: 1e-3 }], curvature: 'newton' as const };
    const a = await oneStepGrid(net, [fig1, fig2], o);
    expect(a).toEqual(oneStepGridSync(net, [fig1, fig2], o));
  });

  it('a singular system fails alone: gamma 0 with fewer parameters than points', () => {
    const net = TwoLayerNet.create({ width: 3, inputDim: 1, seed: 1 });  // P = 9 < M = 16: B is singular
    const grid = oneStepGridSync(net, fig1, { regularizations: [{ gamma: 0 }, { gamma: 0.1 }], curvature: 'gauss-newton' });
    const [bad, good] = grid.datasets[0]!.points;
    expect(isStepPoint(bad!)).toBe(false);
    expect(!isStepPoint(bad!) && bad!.error.code).toBe('E_SINGULAR');
    expect(isStepPoint(good!)).toBe(true);
  });
});

describe('oneStepGrid: bad input', () => {
  const net = TwoLayerNet.create({ width: 10, inputDim: 1, seed: 0 });
  const ok = { regularizations: [{ gamma: 0.1 }] };
  it('rejects what it cannot use, with a code', () => {
    expectCode(() => oneStepGridSync({} as TwoLayerNet, fig1, ok), 'E_ARGUMENT');
    expectCode(() => oneStepGridSync(net, {} as Dataset, ok), 'E_ARGUMENT');
    expectCode(() => oneStepGridSync(net, [], ok), 'E_ARGUMENT');
    expectCode(() => oneStepGridSync(net, [fig1, datasets.paperFigure3()], ok), 'E_SHAPE');
    expectCode(() => oneStepGridSync(TwoLayerNet.create({ width: 4, inputDim: 2, seed: 0 }), fig1, ok), 'E_SHAPE');
    expectCode(() => oneStepGridSync(net, fig1, { regularizations: [] }), 'E_ARGUMENT');
    expectCode(() => oneStepGridSync(net, fig1, { regularizations: 'x' } as never), 'E_ARGUMENT');
    expectCode(() => oneStepGridSync(net, fig1, { regularizations: [{ gamma: Number.NaN }] }), 'E_NONFINITE');
    expectCode(() => oneStepGridSync(net, fig1, { regularizations: [{ gamma: -1 }] }), 'E_ARGUMENT');
    expectCode(() => oneStepGridSync(net, fig1, { regularizations: [{ gamma: 1, lambda: 1 }] } as never), 'E_ARGUMENT');
    expectCode(() => oneStepGridSync(net, fig1, { ...ok, curvature: 'hessian' } as never), 'E_ARGUMENT');
    expectCode(() => oneStepGridSync(net, fig1, { ...ok, alpha: 2 } as never), 'E_ARGUMENT');
    expectCode(() => oneStepGridSync(net, fig1, null as never), 'E_ARGUMENT');
  });
  it('the async twin rejects bad input with the same error', async () => {
    await expect(oneStepGrid(net, fig1, { regularizations: [] })).rejects.toThrow(/regularizations/);
  });
});
