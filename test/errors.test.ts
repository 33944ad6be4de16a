/**
 * NntkError, the one error class: thrown from TypeScript and from the native core alike, with a stable
 * code (spec/API.md). The bad-input tests of each concept sit in that concept's test file.
 */
import { describe, expect, it } from 'vitest';
import { NntkError, TwoLayerNet, newtonStepSync } from '../src/index.js';
import { expectCode } from './helpers.js';

import { data } from './fixtures/bad-input.js';

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
