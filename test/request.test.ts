/**
 * The request layer (src/request.ts): the regularization's closed form lambda = gamma N^(1 - 2 beta)
 * (docs/MATH.md section 3), and the checks every operation shares, bad input included.
 */
import { describe, expect, it } from 'vitest';
import {
  curvatureSpectrum,
  curvatureSpectrumSync,
  datasets,
  newtonStepSync,
  ntkGram,
  ntkGramSync,
  nntkGramSync,
  oneStepGridSync,
  resolveLambda,
  train,
  TwoLayerNet,
} from '../src/index.js';
import { bad } from './fixtures/bad-input.js';
import { expectCode } from './helpers.js';

describe('resolveLambda', () => {
  it('lambda = gamma * N^(1 - 2 beta), or the absolute lambda as given', () => {
    expect(resolveLambda({ gamma: 0.1 }, 10000, 0.52)).toBeCloseTo(0.1 * 10000 ** -0.04, 15);
    expect(resolveLambda({ gamma: 2 }, 7, 0.5)).toBe(2);
    expect(resolveLambda({ lambda: 3e-4 }, 10000, 0.52)).toBe(3e-4);
  });

  it('bad width or beta: NntkError, never NaN or a TypeError', () => {
    expectCode(() => resolveLambda({ gamma: 0.1 }, bad(10n), 0.52), 'E_ARGUMENT');
    expectCode(() => resolveLambda({ gamma: 0.1 }, Number.NaN, 0.52), 'E_NONFINITE');
    expectCode(() => resolveLambda({ gamma: 0.1 }, 0, 0.52), 'E_ARGUMENT');
    expectCode(() => resolveLambda({ gamma: 0.1 }, 2.5, 0.52), 'E_ARGUMENT');
    expectCode(() => resolveLambda({ gamma: 0.1 }, 100, bad('0.5')), 'E_ARGUMENT');
    expectCode(() => resolveLambda({ gamma: 0.1 }, 100, Number.NaN), 'E_NONFINITE');
    expectCode(() => resolveLambda({ gamma: 0.1 }, 100, 2), 'E_ARGUMENT');
    expectCode(() => resolveLambda({ gamma: bad(1n) }, 100, 0.5), 'E_ARGUMENT');
    expectCode(() => resolveLambda(bad(Object.create({ gamma: 1 })), 100, 0.5), 'E_ARGUMENT');  // inherited keys do not count
  });

  it('an overflowing gamma * N^(1 - 2 beta) is E_NONFINITE', () => {
    expectCode(() => resolveLambda({ gamma: 1e308 }, 1e6, 0), 'E_NONFINITE');
  });
});

describe('memoryLimitBytes governs the kernels too', () => {
  const net = TwoLayerNet.create({ width: 20, inputDim: 1, seed: 3 });
  const data = datasets.paperFigure3();  // M = 128: the Gram takes 128 KiB

  it('the NTK and NNTK Grams past the cap: E_TOO_LARGE before any work', async () => {
    expectCode(() => ntkGramSync(net, data, { memoryLimitBytes: 1e5 }), 'E_TOO_LARGE');
    await expect(ntkGram(net, data, { memoryLimitBytes: 1e5 })).rejects.toMatchObject({ code: 'E_TOO_LARGE' });
    expectCode(() => nntkGramSync(net, data, { regularization: { gamma: 0.1 }, memoryLimitBytes: 1e5 }), 'E_TOO_LARGE');
    expect(ntkGramSync(net, data, { memoryLimitBytes: 2e5 })).toHaveLength(128 * 128);
  });

  it('the one-step grid counts every NNTK it returns', () => {
    const regularizations = Array.from({ length: 10 }, (_, k) => ({ gamma: 0.1 * (k + 1) }));
    expectCode(() => oneStepGridSync(net, data, { regularizations, memoryLimitBytes: 1e6 }), 'E_TOO_LARGE');
  });

  it('a misspelt or mistyped option is refused, not ignored', () => {
    expectCode(() => ntkGramSync(net, data, bad({ memoryLimit: 1e9 })), 'E_ARGUMENT');
    expectCode(() => ntkGramSync(net, data, bad({ memoryLimitBytes: '1e9' })), 'E_ARGUMENT');
    expectCode(() => ntkGramSync(net, data, bad(null)), 'E_ARGUMENT');
  });
});

describe('memoryLimitBytes governs the structured solver', () => {
  const net = TwoLayerNet.create({ width: 1000, inputDim: 1, seed: 4 });
  const data = datasets.paperFigure1();
  const reg = { regularization: { gamma: 0.1 }, solver: 'structured' as const };

  it('below what the system needs: E_TOO_LARGE before allocating, with the advice of this path', async () => {
    const e = expectCode(() => newtonStepSync(net, data, { ...reg, memoryLimitBytes: 1e4 }), 'E_TOO_LARGE');
    expect(e.message).toMatch(/memoryLimitBytes/);
    await expect(curvatureSpectrum(net, data, { regularization: { gamma: 0.1 }, memoryLimitBytes: 1e4 })).rejects.toMatchObject({ code: 'E_TOO_LARGE' });
    await expect(train(net, data, { method: 'newton', iterations: 1, solver: 'structured', memoryLimitBytes: 1e4 })).rejects.toMatchObject({ code: 'E_TOO_LARGE' });
  });

  it('a cap that leaves no room for the caches gives the same results without them', () => {
    // J Q takes 8 M P = 384 KB; 300 KB holds the system but not the cache, so bisection streams again.
    const o = { regularization: { gamma: 0.1 } };
    const cached = curvatureSpectrumSync(net, data, o);
    const streamed = curvatureSpectrumSync(net, data, { ...o, memoryLimitBytes: 3e5 });
    expect(streamed.minEigenvalue).toBe(cached.minEigenvalue);
    expect(streamed.maxEigenvalue).toBe(cached.maxEigenvalue);
    const a = newtonStepSync(net, data, reg), b = newtonStepSync(net, data, { ...reg, memoryLimitBytes: 3e5 });
    expect(Array.from(b.step.W)).toEqual(Array.from(a.step.W));
  });
});

describe('memoryLimitBytes: bad values on every operation that takes it', () => {
  const net = TwoLayerNet.create({ width: 6, inputDim: 1, seed: 5 });
  const data = datasets.paperFigure1();
  const reg = { regularization: { gamma: 0.1 } };
  const calls: [string, (limit: unknown) => unknown][] = [
    ['ntkGramSync', (limit) => ntkGramSync(net, data, bad({ memoryLimitBytes: limit }))],
    ['nntkGramSync', (limit) => nntkGramSync(net, data, bad({ ...reg, memoryLimitBytes: limit }))],
    ['curvatureSpectrumSync', (limit) => curvatureSpectrumSync(net, data, bad({ ...reg, memoryLimitBytes: limit }))],
    ['oneStepGridSync', (limit) => oneStepGridSync(net, data, bad({ regularizations: [{ gamma: 0.1 }], memoryLimitBytes: limit }))],
    ['newtonStepSync', (limit) => newtonStepSync(net, data, bad({ ...reg, memoryLimitBytes: limit }))],
  ];
  for (const [name, call] of calls) {
    it(`${name}: wrong type, NaN, Infinity, zero and negative caps`, () => {
      expectCode(() => call('1e9'), 'E_ARGUMENT');
      expectCode(() => call(10n), 'E_ARGUMENT');
      expectCode(() => call(Number.NaN), 'E_NONFINITE');
      expectCode(() => call(Number.POSITIVE_INFINITY), 'E_NONFINITE');
      expectCode(() => call(0), 'E_ARGUMENT');
      expectCode(() => call(-1), 'E_ARGUMENT');
    });
  }
});
