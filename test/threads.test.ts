/** setThreads / getThreads: the OpenBLAS thread count, and bad input. */
import { describe, expect, it } from 'vitest';
import { getThreads, setThreads } from '../src/index.js';
import { bad } from './fixtures/bad-input.js';
import { expectCode } from './helpers.js';

describe('setThreads: bad input', () => {
  it('zero, negative or fractional counts', () => {
    expectCode(() => setThreads(0), 'E_ARGUMENT');
    expectCode(() => setThreads(-2), 'E_ARGUMENT');
    expectCode(() => setThreads(1.5), 'E_ARGUMENT');
    expectCode(() => setThreads(100000), 'E_ARGUMENT');
  });
  it('NaN / Infinity', () => {
    expectCode(() => setThreads(Number.NaN), 'E_NONFINITE');
    expectCode(() => setThreads(Number.POSITIVE_INFINITY), 'E_NONFINITE');
  });
  it('wrong types', () => {
    const before = getThreads();
    expectCode(() => setThreads(bad('2')), 'E_ARGUMENT');
    expectCode(() => setThreads(bad(undefined)), 'E_ARGUMENT');
    expect(getThreads()).toBe(before);
  });
});
