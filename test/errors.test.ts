/**
 * NntkError, and bad input to the step (newtonStep and its Sync twin): every kind of bad argument gives
 * an NntkError with a stable code (spec/API.md): wrong shape -> E_SHAPE, NaN/Infinity -> E_NONFINITE,
 * out-of-range sizes, wrong types, unknown option keys and unknown enum strings -> E_ARGUMENT, dense
 * matrices past the cap -> E_TOO_LARGE. The bad-input tests of the other concepts sit in their files.
 */
import { describe, expect, it } from 'vitest';
import {
  Dataset,
  NntkError,
  TwoLayerNet,
  datasets,
  getThreads,
  newtonStep,
  newtonStepSync,
  setThreads,
} from '../src/index.js';
import { expectCode } from './helpers.js';

import { bad, data, net, net3, overflowData, overflowing } from './fixtures/bad-input.js';

describe('NntkError', () => {
  it('is an exported Error subclass with name and code', () => {
    const e = expectCode(() => TwoLayerNet.create({ width: 0, inputDim: 1, seed: 1 }), 'E_ARGUMENT');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('NntkError');
    expect(e.message).toMatch(/width/);
    const own = new NntkError('E_SHAPE', 'm');
    expect(own.code).toBe('E_SHAPE');
    expect(own.message).toBe('m');
  });

  it('errors raised in the native core are NntkError instances too', () => {
    // Width 10 on 16 points: P = 30 > M, so J^T J / M is singular.
    const wide = TwoLayerNet.create({ width: 10, inputDim: 1, seed: 1 });
    const e = expectCode(() => newtonStepSync(wide, data, { regularization: { lambda: 0 }, curvature: 'gauss-newton' }), 'E_SINGULAR');
    expect(e).toBeInstanceOf(NntkError);
  });
});

// newtonStepSync throws; newtonStep must return a rejected Promise rather than throw synchronously.
const stepVariants = [
  ['newtonStepSync', (n: unknown, d: unknown, o: unknown) => newtonStepSync(bad(n), bad(d), bad(o))],
  ['newtonStep', (n: unknown, d: unknown, o: unknown) => newtonStep(bad(n), bad(d), bad(o))],
] as const;

async function expectStepCode(call: (n: unknown, d: unknown, o: unknown) => unknown, args: [unknown, unknown, unknown], code: string) {
  let result: unknown;
  let thrown: unknown;
  try {
    result = call(...args);
  } catch (e) {
    thrown = e;
  }
  if (call === stepVariants[1][1]) {
    expect(thrown, 'newtonStep threw synchronously instead of rejecting').toBeUndefined();
    expect(result).toBeInstanceOf(Promise);
    try {
      await result;
    } catch (e) {
      thrown = e;
    }
  }
  expect(thrown).toBeInstanceOf(NntkError);
  expect((thrown as NntkError).code, (thrown as NntkError).message).toBe(code);
  return thrown as NntkError;
}

describe.each(stepVariants)('%s', (_name, call) => {
  const reg = { regularization: { gamma: 0.1 } };
  it('wrong shape: data of another inputDim', async () => {
    await expectStepCode(call, [net3, data, reg], 'E_SHAPE');
  });
  it('wrong types: net, data, options', async () => {
    await expectStepCode(call, [{ width: 4 }, data, reg], 'E_ARGUMENT');
    await expectStepCode(call, [net, { x: data.x, y: data.y }, reg], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, undefined], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, 'newton'], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: 0.1 }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: { gamma: '0.1' } }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, memoryLimitBytes: '1e9' }], 'E_ARGUMENT');
  });
  it('missing or ambiguous regularization', async () => {
    await expectStepCode(call, [net, data, {}], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: {} }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: { gamma: 0.1, lambda: 0.1 } }], 'E_ARGUMENT');
  });
  it('negative regularization and memory limit', async () => {
    await expectStepCode(call, [net, data, { regularization: { gamma: -0.1 } }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: { lambda: -1e-9 } }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, memoryLimitBytes: -1 }], 'E_ARGUMENT');
  });
  it('NaN / Infinity regularization or memory limit', async () => {
    await expectStepCode(call, [net, data, { regularization: { gamma: Number.NaN } }], 'E_NONFINITE');
    await expectStepCode(call, [net, data, { regularization: { lambda: Number.POSITIVE_INFINITY } }], 'E_NONFINITE');
    await expectStepCode(call, [net, data, { ...reg, memoryLimitBytes: Number.NaN }], 'E_NONFINITE');
  });
  it('non-finite values produced by the network at these parameters', async () => {
    await expectStepCode(call, [overflowing, overflowData, { regularization: { lambda: 1 } }], 'E_NONFINITE');
  });
  it('unknown option keys (in the options and in regularization)', async () => {
    const e = await expectStepCode(call, [net, data, { ...reg, spectra: 'full' }], 'E_ARGUMENT');
    expect(e.message).toMatch(/spectra/);
    await expectStepCode(call, [net, data, { regularization: { mu: 0.1 } }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { regularization: { gamma: 0.1, extra: 1 } }], 'E_ARGUMENT');
  });
  it('unknown enum strings', async () => {
    await expectStepCode(call, [net, data, { ...reg, curvature: 'hessian' }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, solver: 'qr' }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, spectrum: 'all' }], 'E_ARGUMENT');
    await expectStepCode(call, [net, data, { ...reg, spectrum: 3 }], 'E_ARGUMENT');
  });
  it("solver 'structured' cannot give the full spectrum: E_UNSUPPORTED", async () => {
    const e = await expectStepCode(call, [net, data, { ...reg, solver: 'structured', spectrum: 'full' }], 'E_UNSUPPORTED');
    expect(e.message).toMatch(/dense/);
  });
  it("E_TOO_LARGE past memoryLimitBytes with solver 'dense', with a message pointing at the structured solver", async () => {
    const wide = TwoLayerNet.create({ width: 100, inputDim: 1, seed: 1 });
    const e = await expectStepCode(call, [wide, data, { ...reg, solver: 'dense', memoryLimitBytes: 1000 }], 'E_TOO_LARGE');
    expect(e.message).toMatch(/structured/);
  });
  it("E_TOO_LARGE past the default 4 GiB cap without allocating (width 30000, P = 90000, solver 'dense')", async () => {
    const huge = TwoLayerNet.create({ width: 30000, inputDim: 1, seed: 1 });
    const e = await expectStepCode(call, [huge, data, { ...reg, solver: 'dense' }], 'E_TOO_LARGE');
    expect(e.message).toMatch(/structured/);
  });
  it("'full' spectrum past the dense cap is E_TOO_LARGE even with 'auto'", async () => {
    const wide = TwoLayerNet.create({ width: 100, inputDim: 1, seed: 1 });
    await expectStepCode(call, [wide, data, { ...reg, spectrum: 'full', memoryLimitBytes: 1000 }], 'E_TOO_LARGE');
  });
});

