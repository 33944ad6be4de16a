/** Training data: M points x_m in R^d (rows, row-major) with scalar targets y_m (docs/MATH.md section 1). */
import { NntkError } from './errors.js';
import type { NativeData } from './native.js';
import { MAX_DATA_VALUES, type Numbers } from './contract.js';
import { normalDraw, seededRandom } from './seeded-random.js';
import { copyOf, float64Values, invalid, requireStorable, isFloat64Array, isPlainObject, requireFiniteEntries, requireInteger, requireKnownKeys, requireNumber } from './validate.js';

/** Functions evaluated at the data points, for the component diagnostics of train(). */
export interface Basis {
  names: readonly string[];
  /** M x K, row-major: values[m * K + k] is function k at point m. */
  values: Float64Array;
}

/** Options of datasets.paperFigure1. */
export interface PaperFigure1Options {
  /** The frequency of the target's sine term, any finite number (default 5: Figure 1; Figure 2 uses 20). */
  frequency?: number;
}

export interface DatasetInit {
  /**
   * Rows of inputDim numbers (an array of arrays), or all rows concatenated as a Float64Array or an array of
   * numbers (then inputDim says how to cut them). Copied.
   */
  readonly x: Numbers | readonly (readonly number[])[];
  /** One target per point (a Float64Array or an array of numbers). Copied. */
  readonly y: Numbers;
  /** The input dimension when x is concatenated rows. Default 1 (or the length of x[0] for an array of rows). */
  readonly inputDim?: number;
  /** The target's basis (e.g. its frequency components) for train()'s component diagnostics. Default: none. */
  readonly basis?: Basis;
}

/** Only this module constructs data sets: the constructor refuses any other caller. */
const CONSTRUCT = Symbol('Dataset');
const created = new WeakSet<object>();

export class Dataset {
  readonly size: number;
  readonly inputDim: number;
  /** size x inputDim, row-major (a private copy of what was given). */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly basis?: Basis;

  private constructor(token: symbol, x: Float64Array, y: Float64Array, inputDim: number, basis?: Basis) {
    if (token !== CONSTRUCT) throw new NntkError('E_ARGUMENT', 'Dataset has no public constructor; use Dataset.create or datasets.*');
    this.x = x;
    this.y = y;
    this.inputDim = inputDim;
    this.size = y.length;
    if (basis) this.basis = basis;
    Object.freeze(this);
    created.add(this);
  }

  static create(o: DatasetInit): Dataset {
    if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'Dataset.create options', 'an object { x, y, inputDim? }', o);
    requireKnownKeys(o, 'Dataset.create options', ['x', 'y', 'inputDim', 'basis']);
    const y = toFloat64(o.y, 'y');
    if (y.length === 0) throw new NntkError('E_SHAPE', 'y is empty; a data set needs at least one point');
    let x: Float64Array;
    let inputDim: number;
    if (Array.isArray(o.x) && o.x.length > 0 && Array.isArray(o.x[0])) {
      const rows = o.x as unknown[];
      inputDim = (rows[0] as unknown[]).length;
      if (o.inputDim !== undefined && o.inputDim !== inputDim) {
        throw invalid('E_SHAPE', 'inputDim', `${inputDim} (the length of x[0])`, o.inputDim);
      }
      if (inputDim === 0) throw new NntkError('E_SHAPE', 'x[0] is empty; every row needs inputDim >= 1 numbers');
      requireStorable(rows.length * inputDim, 'x');
      x = new Float64Array(rows.length * inputDim);
      rows.forEach((row, m) => {
        if (!Array.isArray(row) || row.length !== inputDim) {
          throw invalid('E_SHAPE', `x[${m}]`, `a row of ${inputDim} numbers`, row);
        }
        row.forEach((v, j) => {
          if (typeof v !== 'number') throw invalid('E_ARGUMENT', `x[${m}][${j}]`, 'a number', v);
          x[m * inputDim + j] = v;
        });
      });
    } else {
      inputDim = o.inputDim === undefined ? 1 : requireInteger(o.inputDim, 'inputDim', 1, 1 << 20);
      x = toFloat64(o.x, 'x');
    }
    if (x.length !== y.length * inputDim) {
      throw new NntkError(
        'E_SHAPE',
        `x holds ${x.length} numbers but y has ${y.length} points of inputDim ${inputDim} (expected ${y.length * inputDim})`,
      );
    }
    requireFiniteEntries(x, 'x');
    requireFiniteEntries(y, 'y');
    if (x.length > MAX_DATA_VALUES) {
      throw new NntkError('E_TOO_LARGE', `x holds ${x.length} numbers, over nntk's limit of 2^29; use fewer points`);
    }
    return new Dataset(CONSTRUCT, x, y, inputDim, o.basis === undefined ? undefined : checkedBasis(o.basis, y.length));
  }
}

/** A private copy of an array input (float64Values: a Float64Array or an array of numbers). */
function toFloat64(value: unknown, name: string): Float64Array {
  const values = float64Values(value, name);
  return values === value ? copyOf(values) : values;
}

function checkedBasis(basis: unknown, M: number): Basis {
  if (!isPlainObject(basis)) throw invalid('E_ARGUMENT', 'basis', 'an object { names, values }', basis);
  requireKnownKeys(basis, 'basis', ['names', 'values']);
  const names = basis.names;
  const values = basis.values;
  if (!Array.isArray(names) || names.length === 0) throw invalid('E_ARGUMENT', 'basis.names', 'a non-empty array of strings', names);
  if (!isFloat64Array(values)) throw invalid('E_ARGUMENT', 'basis.values', 'a Float64Array', values);
  if (values.length !== M * names.length) {  // checked before names are read: a huge names array costs nothing
    throw invalid('E_SHAPE', 'basis.values', `M x K = ${M} x ${names.length} values`, values);
  }
  if (![...names].every((n) => typeof n === 'string')) throw invalid('E_ARGUMENT', 'basis.names', 'a non-empty array of strings', names);
  requireFiniteEntries(values, 'basis.values');
  return { names: [...names], values: copyOf(values) };
}

export function nativeData(data: Dataset): NativeData {
  return { size: data.size, inputDim: data.inputDim, x: data.x, y: data.y };
}

export function requireDataset(value: unknown, name = 'data'): Dataset {
  if (!(value instanceof Dataset) || !created.has(value)) {
    throw invalid('E_ARGUMENT', name, 'a Dataset (Dataset.create or datasets.*)', value);
  }
  return value;
}

/** M equispaced points in [0, 1], endpoints included. */
function equispaced(count: number): Float64Array {
  return Float64Array.from({ length: count }, (_, m) => m / (count - 1));
}

function fromTarget(count: number, target: (x: number) => number, basis?: [string, (x: number) => number][]): Dataset {
  const x = equispaced(count);
  const values = basis && Float64Array.from({ length: count * basis.length }, (_, k) => basis[k % basis.length]![1](x[Math.floor(k / basis.length)]!));
  return Dataset.create({
    x,
    y: x.map(target),
    inputDim: 1,
    ...(basis && values ? { basis: { names: basis.map(([name]) => name), values } } : {}),
  });
}

/** Options of datasets.twoMoons. */
export interface TwoMoonsOptions {
  /** Points in all, split evenly between the two classes (default 200, at least 2). */
  points?: number;
  /** Standard deviation of the Gaussian noise added to both coordinates (default 0.1). */
  noise?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
  /** Labels -1 / 1 ('signs', the default) or 0 / 1 ('bits'); both work with loss 'logistic'. */
  labels?: 'signs' | 'bits';
}

/** The data sets of the paper's experiments (docs/MATH.md section 6) and a classification set. */
export const datasets = {
  /**
   * Two interleaved half circles in the plane (inputDim 2), a binary classification set for loss 'logistic'
   * (docs/MATH.md section 1.3): class 1 on (cos t, sin t), class -1 on (1 - cos t, 1/2 - sin t), t equispaced
   * in [0, pi], plus N(0, noise^2) on each coordinate from a seeded generator. Points alternate between classes.
   */
  twoMoons(o: TwoMoonsOptions = {}): Dataset {
    if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'twoMoons options', 'an object { points?, noise?, seed?, labels? }', o);
    requireKnownKeys(o, 'twoMoons options', ['points', 'noise', 'seed', 'labels']);
    const points = o.points === undefined ? 200 : requireInteger(o.points, 'points', 2, 1 << 24);
    const noise = o.noise === undefined ? 0.1 : requireNumber(o.noise, 'noise', { min: 0 });
    const seed = o.seed === undefined ? 0 : requireInteger(o.seed, 'seed', 0);
    const labels = o.labels ?? 'signs';
    if (labels !== 'signs' && labels !== 'bits') throw invalid('E_ARGUMENT', 'labels', "'signs' or 'bits'", labels);
    const random = seededRandom(seed);
    const x = new Float64Array(2 * points);
    const y = new Float64Array(points);
    const perClass = Math.ceil(points / 2);
    for (let m = 0; m < points; m++) {
      const upper = m % 2 === 0;
      const t = (Math.PI * Math.floor(m / 2)) / Math.max(perClass - 1, 1);
      x[2 * m] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + noise * normalDraw(random);
      x[2 * m + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * normalDraw(random);
      y[m] = upper ? 1 : labels === 'signs' ? -1 : 0;
    }
    return Dataset.create({ x, y, inputDim: 2 });
  },

  /** Figures 1-2: M = 16 equispaced x in [0, 1], y = 2x + 0.4 sin(frequency pi x); frequency 5 (Figure 1) by default. */
  paperFigure1(o: PaperFigure1Options = {}): Dataset {
    if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'paperFigure1 options', 'an object { frequency? }', o);
    requireKnownKeys(o, 'paperFigure1 options', ['frequency']);
    const frequency = o.frequency === undefined ? 5 : requireNumber(o.frequency, 'frequency');
    return fromTarget(16, (x) => 2 * x + 0.4 * Math.sin(frequency * Math.PI * x));
  },
  /**
   * Figures 3/5: M = 128 equispaced x in [0, 1], y = 4x + sin(2 pi x) + 0.8 (sin 8 pi x + sin 10 pi x + sin 16 pi x),
   * with the basis {x, sin 2 pi x, sin 8 pi x, sin 10 pi x, sin 16 pi x} of its components (MATH.md section 6).
   */
  paperFigure3(): Dataset {
    return fromTarget(
      128,
      (x) =>
        4 * x +
        Math.sin(2 * Math.PI * x) +
        0.8 * Math.sin(8 * Math.PI * x) +
        0.8 * Math.sin(10 * Math.PI * x) +
        0.8 * Math.sin(16 * Math.PI * x),
      [
        ['x', (x) => x],
        ['sin(2 pi x)', (x) => Math.sin(2 * Math.PI * x)],
        ['sin(8 pi x)', (x) => Math.sin(8 * Math.PI * x)],
        ['sin(10 pi x)', (x) => Math.sin(10 * Math.PI * x)],
        ['sin(16 pi x)', (x) => Math.sin(16 * Math.PI * x)],
      ],
    );
  },
};
