/**
 * Dataset.create and the paper's data sets (docs/MATH.md section 6).
 */
import { describe, expect, it } from 'vitest';
import { Dataset, datasets } from '../src/index.js';
import { bad } from './fixtures/bad-input.js';
import { expectCode } from './helpers.js';

describe('Dataset.create', () => {
  it('takes flat x with inputDim (default 1) and keeps row-major order', () => {
    const d = Dataset.create({ x: [1, 2, 3, 4, 5, 6], y: [7, 8, 9], inputDim: 2 });
    expect(d.size).toBe(3);
    expect(d.inputDim).toBe(2);
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(d.y)).toEqual([7, 8, 9]);
    const one = Dataset.create({ x: Float64Array.of(0.5, 0.25), y: Float64Array.of(1, 2) });
    expect(one.inputDim).toBe(1);
    expect(one.size).toBe(2);
  });

  it('takes rows (number[][]) and flattens them row-major', () => {
    const d = Dataset.create({ x: [[1, 2, 3], [4, 5, 6]], y: [0, 1] });
    expect(d.inputDim).toBe(3);
    expect(d.size).toBe(2);
    expect(d.x).toBeInstanceOf(Float64Array);
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Dataset.create({ x: [[1, 2]], y: [0], inputDim: 2 }).inputDim).toBe(2);
  });

  it('copies what it is given', () => {
    const x = Float64Array.of(1, 2);
    const y = [3, 4];
    const d = Dataset.create({ x, y });
    x[0] = 100;
    y[0] = 100;
    expect(Array.from(d.x)).toEqual([1, 2]);
    expect(Array.from(d.y)).toEqual([3, 4]);
  });
});

describe('the paper data sets', () => {
  it('paperFigure1(): 16 equispaced points in [0, 1], y = 2x + 0.4 sin(5 pi x)', () => {
    const d = datasets.paperFigure1();
    expect(d.size).toBe(16);
    expect(d.inputDim).toBe(1);
    expect(d.x.length).toBe(16);
    for (let m = 0; m < 16; m++) {
      expect(d.x[m]).toBeCloseTo(m / 15, 15);
      expect(d.y[m]).toBeCloseTo(2 * (m / 15) + 0.4 * Math.sin(5 * Math.PI * (m / 15)), 14);
    }
    expect(d.x[0]).toBe(0);
    expect(d.x[15]).toBe(1);
  });

  it('paperFigure1({ frequency: 20 }) is the Figure 2 target 2x + 0.4 sin(20 pi x)', () => {
    const d = datasets.paperFigure1({ frequency: 20 });
    expect(d.size).toBe(16);
    for (let m = 0; m < 16; m++) expect(d.y[m]).toBeCloseTo(2 * (m / 15) + 0.4 * Math.sin(20 * Math.PI * (m / 15)), 14);
  });

  it('paperFigure3(): 128 equispaced points, y = 4x + sin 2 pi x + 0.8 (sin 8 pi x + sin 10 pi x + sin 16 pi x)', () => {
    const d = datasets.paperFigure3();
    expect(d.size).toBe(128);
    expect(d.inputDim).toBe(1);
    for (let m = 0; m < 128; m++) {
      const x = m / 127;
      expect(d.x[m]).toBeCloseTo(x, 15);
      const y = 4 * x + Math.sin(2 * Math.PI * x) + 0.8 * Math.sin(8 * Math.PI * x) + 0.8 * Math.sin(10 * Math.PI * x) + 0.8 * Math.sin(16 * Math.PI * x);
      expect(d.y[m]).toBeCloseTo(y, 13);
    }
    expect(d.x[0]).toBe(0);
    expect(d.x[127]).toBe(1);
  });

  it('each call returns an independent copy', () => {
    const a = datasets.paperFigure3();
    a.y.fill(0);
    expect(datasets.paperFigure3().y[5]).not.toBe(0);
  });
});

describe('Dataset.create: bad input', () => {
  it('wrong shape: x and y disagree, ragged rows, empty rows, empty y, inputDim against rows', () => {
    expectCode(() => Dataset.create({ x: [1, 2, 3], y: [1, 2] }), 'E_SHAPE');
    expectCode(() => Dataset.create({ x: new Float64Array(5), y: new Float64Array(2), inputDim: 2 }), 'E_SHAPE');
    expectCode(() => Dataset.create({ x: [[1, 2], [3]], y: [1, 2] }), 'E_SHAPE');
    expectCode(() => Dataset.create({ x: [[], []], y: [1, 2] }), 'E_SHAPE');
    expectCode(() => Dataset.create({ x: [], y: [] }), 'E_SHAPE');
    expectCode(() => Dataset.create({ x: [[1, 2]], y: [1], inputDim: 3 }), 'E_SHAPE');
  });
  it('NaN / Infinity in x or y', () => {
    expectCode(() => Dataset.create({ x: [1, Number.NaN], y: [1, 2] }), 'E_NONFINITE');
    expectCode(() => Dataset.create({ x: Float64Array.of(1, 2), y: Float64Array.of(1, Number.POSITIVE_INFINITY) }), 'E_NONFINITE');
    expectCode(() => Dataset.create({ x: [[1, Number.NEGATIVE_INFINITY]], y: [1] }), 'E_NONFINITE');
  });
  it('NaN / Infinity as inputDim', () => {
    expectCode(() => Dataset.create({ x: [1, 2], y: [1, 2], inputDim: Number.NaN }), 'E_NONFINITE');
    expectCode(() => Dataset.create({ x: [1, 2], y: [1, 2], inputDim: Number.POSITIVE_INFINITY }), 'E_NONFINITE');
  });
  it('zero, negative or fractional inputDim', () => {
    expectCode(() => Dataset.create({ x: [1, 2], y: [1, 2], inputDim: 0 }), 'E_ARGUMENT');
    expectCode(() => Dataset.create({ x: [1, 2], y: [1, 2], inputDim: -1 }), 'E_ARGUMENT');
    expectCode(() => Dataset.create({ x: [1, 2], y: [1, 2], inputDim: 0.5 }), 'E_ARGUMENT');
  });
  it('wrong types', () => {
    expectCode(() => Dataset.create(bad(undefined)), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad(null)), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad([1, 2])), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad({ x: 'abc', y: [1] })), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad({ x: [1], y: new Float32Array(1) })), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad({ x: [1], y: new BigInt64Array(1) })), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad({ x: [1], y: new DataView(new ArrayBuffer(8)) })), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad({ x: ['1'], y: [1] })), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad({ x: [[1, '2']], y: [1] })), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad({ x: [1], y: [1], inputDim: '1' })), 'E_ARGUMENT');
    expectCode(() => Dataset.create(bad({ y: [1] })), 'E_ARGUMENT');
  });
  it('unknown option key', () => {
    const e = expectCode(() => Dataset.create(bad({ x: [1], y: [1], inputdim: 1 })), 'E_ARGUMENT');
    expect(e.message).toMatch(/inputdim/);
  });
});

describe('datasets.paperFigure1: bad input', () => {
  it('NaN / Infinity frequency', () => {
    expectCode(() => datasets.paperFigure1({ frequency: Number.NaN }), 'E_NONFINITE');
    expectCode(() => datasets.paperFigure1({ frequency: Number.POSITIVE_INFINITY }), 'E_NONFINITE');
  });
  it('wrong types', () => {
    expectCode(() => datasets.paperFigure1(bad({ frequency: '5' })), 'E_ARGUMENT');
    expectCode(() => datasets.paperFigure1(bad(5)), 'E_ARGUMENT');
    expectCode(() => datasets.paperFigure1(bad(null)), 'E_ARGUMENT');
  });
  it('unknown option key', () => {
    expectCode(() => datasets.paperFigure1(bad({ freq: 5 })), 'E_ARGUMENT');
  });
});
