/**
 * Saving and loading networks and runs as JSON (src/serialize/, docs/formats.md): every weight and setting
 * back bit for bit through JSON.stringify / JSON.parse (-0 and a diverged run's NaN included), a loaded run
 * resumes exactly as the original, and bad saved values are NntkErrors that say what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { datasets, NntkError, train, trainingRunFromJSON, trainingRunToJSON, TwoLayerNet, type TrainingRun } from '../src/index.js';

const data = datasets.paperFigure3();

/** The bytes of a Float64Array: equal bytes are equal bits. */
const bits = (a: Float64Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const sameBits = (a: Float64Array, b: Float64Array) => expect(bits(a)).toEqual(bits(b));
const roundTrip = (net: TwoLayerNet) => TwoLayerNet.fromJSON(JSON.parse(JSON.stringify(net)));

function expectSameNet(a: TwoLayerNet, b: TwoLayerNet): void {
  for (const key of ['width', 'inputDim', 'beta', 'activation', 'outputScale', 'init', 'outputWeights', 'parameterCount', 'trainable', 'trainableCount'] as const) {
    expect(b[key], key).toEqual(a[key]);
  }
  const [p, q] = [a.parameters(), b.parameters()];
  sameBits(p.W, q.W);
  sameBits(p.b, q.b);
  sameBits(p.c, q.c);
}

describe('TwoLayerNet: toJSON and fromJSON', () => {
  it.each([
    ['the paper\'s initialization', { width: 7, inputDim: 3, seed: 1 }],
    ['symmetric, signs, fixed output layer, a scale', { width: 8, inputDim: 2, seed: 5, init: 'symmetric', outputWeights: 'signs', trainable: ['W', 'b'], outputScale: -2.5, beta: 0.25, activation: 'silu' }],
    ['given output weights, only c trains', { width: 3, inputDim: 1, seed: 2, outputWeights: [0.5, -1e-300, 3], trainable: ['c'], beta: 1 }],
  ] as const)('%s round-trips bit for bit with every setting', (_what, options) => {
    const net = TwoLayerNet.create(options as never);
    const back = roundTrip(net);
    expectSameNet(net, back);
    const x = Float64Array.from({ length: 5 * net.inputDim }, (_, k) => Math.sin(k));
    expect(back.predict(x)).toEqual(net.predict(x));
    expect(JSON.parse(JSON.stringify(net))).toMatchObject({ format: 'nntk.TwoLayerNet', version: 1, width: net.width, W: expect.any(Array) });
  });

  it('keeps -0, subnormals and the extremes of binary64, and the origin of fromParameters', () => {
    const W = Float64Array.of(-0, 5e-324, -Number.MAX_VALUE, 0.1 + 0.2, Math.PI, -0);
    const net = TwoLayerNet.fromParameters({ W, b: Float64Array.of(-0, 1), c: Float64Array.of(2 ** -1074, -0), beta: 0.52, trainable: ['b', 'W'] });
    const text = JSON.stringify(net);
    expect(text).toContain('"-0"');
    const back = TwoLayerNet.fromJSON(JSON.parse(text));
    expectSameNet(net, back);
    expect(Object.is(back.parameters().W[0], -0)).toBe(true);
    expect(back.init).toBe('given');
    expect(back.trainable).toEqual(['W', 'b']);
    // the object itself (without JSON text) is accepted too
    expectSameNet(net, TwoLayerNet.fromJSON(net.toJSON()));
  });

  it('a trained network keeps its origin and trainable groups', async () => {
    const net = TwoLayerNet.create({ width: 10, inputDim: 1, seed: 4, init: 'symmetric', trainable: ['W', 'b'], outputWeights: 'signs' });
    const run = await train(net, data, { method: 'gauss-newton', iterations: 3 });
    expectSameNet(run.net, roundTrip(run.net));
    expect(roundTrip(run.net)).toMatchObject({ init: 'symmetric', outputWeights: 'signs', trainable: ['W', 'b'] });
  });

  const good = () => TwoLayerNet.create({ width: 3, inputDim: 2, seed: 1 }).toJSON() as unknown as Record<string, unknown>;
  const change = (patch: Record<string, unknown>) => {
    const o = { ...good(), ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete o[k];
    return o;
  };
  it.each([
    ['not an object', 'net', 'E_ARGUMENT', 'not an object'],
    ['a wrong format tag', change({ format: 'nntk.Net' }), 'E_ARGUMENT', "not 'nntk.TwoLayerNet'"],
    ['a future version', change({ version: 2 }), 'E_UNSUPPORTED', 'upgrade nntk'],
    ['version 0', change({ version: 0 }), 'E_ARGUMENT', 'version'],
    ['no W', change({ W: undefined }), 'E_ARGUMENT', "no field 'W'"],
    ['no trainable', change({ trainable: undefined }), 'E_ARGUMENT', "no field 'trainable'"],
    ['an unknown field', change({ momentum: 1 }), 'E_ARGUMENT', "unknown field 'momentum'"],
    ['W too short', change({ W: [1, 2, 3] }), 'E_SHAPE', 'W has 3 entries but should have 6'],
    ['c too long', change({ c: [1, 2, 3, 4] }), 'E_SHAPE', 'c has 4 entries'],
    ['a NaN weight', change({ b: [1, 'NaN', 2] }), 'E_NONFINITE', 'b[1]'],
    ['a null weight (NaN through JSON.stringify)', change({ b: [1, null, 2] }), 'E_ARGUMENT', 'null'],
    ['a string weight', change({ b: [1, '2', 2] }), 'E_ARGUMENT', 'b[1]'],
    ['W as an object of indices', change({ W: { 0: 1, 1: 2 } }), 'E_ARGUMENT', 'object of indices'],
    ['width 0', change({ width: 0 }), 'E_ARGUMENT', 'width'],
    ['width 2.5', change({ width: 2.5 }), 'E_ARGUMENT', 'width'],
    ['a huge width', change({ width: 2 ** 40 }), 'E_TOO_LARGE', '2^29'],
    ['beta 2', change({ beta: 2 }), 'E_ARGUMENT', 'beta'],
    ['outputScale 0', change({ outputScale: 0 }), 'E_ARGUMENT', 'outputScale'],
    ['outputScale Infinity', change({ outputScale: 'Infinity' }), 'E_NONFINITE', 'outputScale'],
    ['an unknown activation', change({ activation: 'relu' }), 'E_ARGUMENT', 'activation'],
    ['an unknown origin', change({ init: 'xavier' }), 'E_ARGUMENT', 'init'],
    ['an unknown output-weights origin', change({ outputWeights: 'normal' }), 'E_ARGUMENT', 'outputWeights'],
    ['an empty trainable', change({ trainable: [] }), 'E_ARGUMENT', 'trainable'],
    ['a repeated group', change({ trainable: ['W', 'W'] }), 'E_ARGUMENT', 'twice'],
    ['an unknown group', change({ trainable: ['a'] }), 'E_ARGUMENT', 'trainable[0]'],
  ])('%s -> %s', (_what, value, code, text) => {
    const error = (() => {
      try {
        TwoLayerNet.fromJSON(value);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(NntkError);
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toContain(text);
  });
});

function expectSameRun(a: TrainingRun, b: TrainingRun): void {
  expectSameNet(a.net, b.net);
  // toEqual compares numbers with Object.is (NaN equals NaN, -0 differs from 0) and typed arrays by type and entries.
  expect(b.history).toEqual(a.history);
  for (const [k, r] of a.history.entries()) {
    for (const key of ['components', 'ntkModes'] as const) if (r[key]) sameBits(r[key]!, b.history[k]![key]!);
  }
  expect(b.summary).toEqual(a.summary);
  expect(b.state).toEqual(a.state);
  if (a.state.adamM) sameBits(a.state.adamM, b.state.adamM!);
  if (a.state.adamV) sameBits(a.state.adamV, b.state.adamV!);
  const { net: _n1, ...restA } = a;
  const { net: _n2, ...restB } = b;
  expect(restB).toEqual(restA);
  expect(Object.keys(b)).toEqual(Object.keys(a));
}

const flat = (net: TwoLayerNet) => net.flatParameters();
const loadRun = (run: TrainingRun) => trainingRunFromJSON(JSON.parse(JSON.stringify(trainingRunToJSON(run))));

describe('training runs: trainingRunToJSON and trainingRunFromJSON', () => {
  it('a run with diagnostics (components, NTK modes) round-trips bit for bit', async () => {
    const net = TwoLayerNet.create({ width: 12, inputDim: 1, seed: 2 });
    const run = await train(net, data, { method: 'newton', iterations: 4, spectrum: 'extremal', diagnostics: { components: true, ntkModes: true } });
    expect(run.history[1]!.components).toBeInstanceOf(Float64Array);
    const back = loadRun(run);
    expectSameRun(run, back);
    expect(back.history[1]!.ntkModes).toBeInstanceOf(Float64Array);
    expect(back.ntkEigenvalues).toBeInstanceOf(Float64Array);
  });

  it('a diverged run keeps its NaN records and error', async () => {
    const net = TwoLayerNet.create({ width: 12, inputDim: 1, seed: 2 });
    const run = await train(net, data, { method: 'gd', iterations: 50, learningRate: 1e6, diagnostics: { components: true } });
    expect(run.stoppedBecause).toBe('diverged');
    const back = loadRun(run);
    expectSameRun(run, back);
    expect(JSON.stringify(trainingRunToJSON(run))).toMatch(/"(NaN|Infinity|-Infinity)"/);
  });

  it.each(['newton', 'gauss-newton', 'gd', 'adam'] as const)('%s: 10 iterations, saved, loaded and resumed for 10 = 20 straight, bit for bit', async (method) => {
    const start = () => TwoLayerNet.create({ width: 16, inputDim: 1, seed: 7 });
    const whole = await train(start(), data, { method, iterations: 20 });
    const first = await train(start(), data, { method, iterations: 10 });
    const loaded = loadRun(first);
    const rest = await train(loaded.net, data, { method, iterations: 10, resume: loaded });
    const restOriginal = await train(first.net, data, { method, iterations: 10, resume: first });
    sameBits(flat(rest.net), flat(whole.net));
    sameBits(flat(rest.net), flat(restOriginal.net));
    expect(rest.history.map((r) => r.loss)).toEqual(restOriginal.history.map((r) => r.loss));
    expect(rest.history.map((r) => r.loss)).toEqual(whole.history.slice(10).map((r) => r.loss));
    expect(rest.state.iteration).toBe(20);
    if (method === 'adam') sameBits(rest.state.adamM!, whole.state.adamM!);
  });

  const goodRun = async () => trainingRunToJSON(await train(TwoLayerNet.create({ width: 4, inputDim: 1, seed: 1 }), data, { method: 'adam', iterations: 2 })) as unknown as Record<string, unknown>;
  it('bad saved runs are NntkErrors naming the field', async () => {
    const base = await goodRun();
    const cases: [Record<string, unknown> | unknown, string, string][] = [
      [{ ...base, format: 'nntk.TwoLayerNet' }, 'E_ARGUMENT', "not 'nntk.TrainingRun'"],
      [{ ...base, version: 9 }, 'E_UNSUPPORTED', 'newer nntk'],
      [{ ...base, history: 'x' }, 'E_ARGUMENT', 'history'],
      [{ ...base, history: [{ method: 'adam', iteration: 0 }] }, 'E_ARGUMENT', "history[0] has no field 'loss'"],
      [{ ...base, history: [{ iteration: 0, loss: 1, seconds: 0 }] }, 'E_ARGUMENT', "history[0] has no field 'method'"],
      [{ ...base, history: [{ method: 'newton', iteration: 0, loss: 1, seconds: 0 }] }, 'E_ARGUMENT', "history[0].method is 'newton'"],
      [{ ...base, history: new Array(2) }, 'E_ARGUMENT', 'history[0] is undefined'],
      [{ ...base, history: [{ method: 'adam', iteration: -1, loss: 1, seconds: 0 }] }, 'E_ARGUMENT', 'history[0].iteration'],
      [{ ...base, history: [{ method: 'adam', iteration: 0, loss: 1, seconds: 0, extra: 1 }] }, 'E_ARGUMENT', "unknown field 'extra'"],
      [{ ...base, history: [{ method: 'adam', iteration: 0, loss: 1, seconds: 0, components: { 0: 1 } }] }, 'E_ARGUMENT', 'object of indices'],
      [{ ...base, state: { ...(base.state as object), adamM: [1, 2] } }, 'E_SHAPE', 'adamM'],
      [{ ...base, state: { ...(base.state as object), method: 'gd' } }, 'E_ARGUMENT', 'state.method'],
      [{ ...base, summary: { ...(base.summary as object), termination: 'bored' } }, 'E_ARGUMENT', 'summary.termination'],
      [{ ...base, net: { ...(base.net as object), b: [1] } }, 'E_SHAPE', 'b has 1 entries'],
      [{ ...base, solver: 'magic' }, 'E_ARGUMENT', 'solver'],
      [{ ...base, method: undefined }, 'E_ARGUMENT', "no field 'method'"],
      [null, 'E_ARGUMENT', 'not an object'],
    ];
    for (const [value, code, text] of cases) {
      let error: unknown;
      try {
        trainingRunFromJSON(value);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(NntkError);
      expect(error, text).toMatchObject({ code });
      expect((error as Error).message, text).toContain(text);
    }
    expect(() => trainingRunToJSON({} as never)).toThrow(NntkError);
    expect(() => trainingRunToJSON({ net: 1 } as never)).toThrow(NntkError);
  });
});
