/**
 * The shallow network f(x) = N^-beta sum_i c_i sigma(w_i . x + b_i) of docs/MATH.md section 1, with
 * its exact derivatives (section 2) computed by the native core. Instances are immutable: a step
 * makes a new network.
 */
import { ACTIVATIONS, activationIndex, type Activation } from './activation.js';
import { type Dataset, nativeData, requireDataset } from './dataset.js';
import { NntkError } from './errors.js';
import { native, type NativeNet } from './native.js';
import { flattenParameters, type NetParameters, splitParameters } from './parameters.js';
import {
  invalid,
  isPlainObject,
  requireFiniteArray,
  requireFiniteEntries,
  requireInteger,
  requireKnownKeys,
  requireNumber,
  requireOneOf,
} from './validate.js';

export type { NetParameters } from './parameters.js';

/** Default cap on one dense P x P matrix: 4 GiB. */
export const DEFAULT_DENSE_MEMORY_LIMIT = 4 * 2 ** 30;
/** Widths are capped so that every index fits comfortably in the core's integer types. */
const MAX_WIDTH = 2 ** 31 - 1;

export interface CreateOptions {
  width: number;
  inputDim: number;
  beta?: number;
  activation?: Activation;
  seed: number;
}

const natives = new WeakMap<TwoLayerNet, NativeNet>();

export class TwoLayerNet {
  readonly width: number;
  readonly inputDim: number;
  readonly beta: number;
  readonly activation: Activation;
  readonly parameterCount: number;

  private constructor(state: NativeNet) {
    this.width = state.width;
    this.inputDim = state.inputDim;
    this.beta = state.beta;
    this.activation = ACTIVATIONS[state.activation] as Activation;
    this.parameterCount = state.width * (state.inputDim + 2);
    natives.set(this, state);
    Object.freeze(this);
  }

  /**
   * The paper's initialization: w_i ~ N(0, I_d), b_i ~ N(0, 1), c_i ~ U(-1, 1), drawn from a
   * counter-based generator (Philox4x32-10) keyed by the seed, so the same seed gives the same network
   * on every run, platform and thread count, and a wider network extends a narrower one of the same seed.
   */
  static create(o: CreateOptions): TwoLayerNet {
    if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'TwoLayerNet.create options', 'an object', o);
    requireKnownKeys(o, 'TwoLayerNet.create options', ['width', 'inputDim', 'beta', 'activation', 'seed']);
    const width = requireInteger(o.width, 'width', 1, MAX_WIDTH);
    const inputDim = requireInteger(o.inputDim, 'inputDim', 1, 1 << 20);
    const beta = o.beta === undefined ? 0.52 : requireNumber(o.beta, 'beta', { min: 0, max: 1 });
    const activation = o.activation === undefined ? 'tanh' : requireOneOf(o.activation, 'activation', ACTIVATIONS);
    const seed = requireInteger(o.seed, 'seed', 0);
    if (width * inputDim > 2 ** 31) {
      throw new NntkError('E_TOO_LARGE', `width * inputDim = ${width * inputDim} exceeds 2^31 weights`);
    }
    const { W, b, c } = native().initialize(seed, width, inputDim);
    return new TwoLayerNet({ width, inputDim, beta, activation: activationIndex(activation), W, b, c });
  }

  /** A network with the given parameters (copied). W is width x inputDim, row-major. */
  static fromParameters(o: NetParameters & { beta: number; activation?: Activation }): TwoLayerNet {
    if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'TwoLayerNet.fromParameters options', 'an object', o);
    requireKnownKeys(o, 'TwoLayerNet.fromParameters options', ['W', 'b', 'c', 'beta', 'activation']);
    const b = requireFiniteArray(o.b, 'b');
    const width = b.length;
    if (width === 0) throw new NntkError('E_SHAPE', 'b is empty; a network needs width >= 1');
    const c = requireFiniteArray(o.c, 'c', width);
    const W = requireFiniteArray(o.W, 'W');
    if (W.length === 0 || W.length % width !== 0) {
      throw invalid('E_SHAPE', 'W', `a Float64Array of width * inputDim entries (width ${width} from b)`, W);
    }
    const beta = requireNumber(o.beta, 'beta', { min: 0, max: 1 });
    const activation = o.activation === undefined ? 'tanh' : requireOneOf(o.activation, 'activation', ACTIVATIONS);
    return new TwoLayerNet({
      width,
      inputDim: W.length / width,
      beta,
      activation: activationIndex(activation),
      W: Float64Array.from(W),
      b: Float64Array.from(b),
      c: Float64Array.from(c),
    });
  }

  /** Copies of the parameters. */
  parameters(): NetParameters {
    const s = state(this);
    return { W: Float64Array.from(s.W), b: Float64Array.from(s.b), c: Float64Array.from(s.c) };
  }

  /** f at each row of x (rows of inputDim numbers, row-major). */
  predict(x: Float64Array): Float64Array {
    const values = requireFiniteArray(x, 'x');
    if (values.length % this.inputDim !== 0) {
      throw invalid('E_SHAPE', 'x', `a Float64Array whose length is a multiple of inputDim = ${this.inputDim}`, x);
    }
    return native().predict(state(this), values);
  }

  /** L = (1 / 2M) sum_m (f(x_m) - y_m)^2. */
  loss(data: Dataset): number {
    return native().loss(state(this), this.checked(data));
  }

  /** grad L = J^T r / M, split by parameter family. */
  gradient(data: Dataset): NetParameters {
    return splitParameters(native().gradient(state(this), this.checked(data)), this.width, this.inputDim);
  }

  /** J = df/dtheta at every data point: M x P, row-major, neuron-major columns (docs/MATH.md section 1). */
  jacobian(data: Dataset): Float64Array {
    const d = this.checked(data);
    const bytes = 8 * d.size * this.parameterCount;
    if (bytes > DEFAULT_DENSE_MEMORY_LIMIT) {
      throw new NntkError('E_TOO_LARGE', `the Jacobian would take ${gib(bytes)} GiB; use a smaller width or data set`);
    }
    return native().jacobian(state(this), d);
  }

  /**
   * The exact Hessian of L (P x P, row-major = column-major since symmetric), or with
   * curvature 'gauss-newton' the matrix J^T J / M. E_TOO_LARGE past memoryLimitBytes (default 4 GiB).
   */
  hessian(
    data: Dataset,
    o: { curvature?: 'newton' | 'gauss-newton'; memoryLimitBytes?: number } = {},
  ): Float64Array {
    const d = this.checked(data);
    if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'hessian options', 'an object', o);
    requireKnownKeys(o, 'hessian options', ['curvature', 'memoryLimitBytes']);
    const curvature = o.curvature === undefined ? 'newton' : requireOneOf(o.curvature, 'curvature', ['newton', 'gauss-newton']);
    requireDenseFits(this.parameterCount, o.memoryLimitBytes);
    return native().curvature(state(this), d, curvature === 'newton' ? 0 : 1);
  }

  /** A new network with parameters theta + alpha * step. */
  withStep(step: NetParameters, alpha = 1): TwoLayerNet {
    if (!isPlainObject(step)) throw invalid('E_ARGUMENT', 'step', 'an object { W, b, c }', step);
    const dW = requireFiniteArray(step.W, 'step.W', this.width * this.inputDim);
    const db = requireFiniteArray(step.b, 'step.b', this.width);
    const dc = requireFiniteArray(step.c, 'step.c', this.width);
    requireNumber(alpha, 'alpha');
    const s = state(this);
    const next = {
      ...s,
      W: s.W.map((v, k) => v + alpha * (dW[k] as number)),
      b: s.b.map((v, k) => v + alpha * (db[k] as number)),
      c: s.c.map((v, k) => v + alpha * (dc[k] as number)),
    };
    requireFiniteEntries(next.W, 'W + alpha * step.W');
    requireFiniteEntries(next.b, 'b + alpha * step.b');
    requireFiniteEntries(next.c, 'c + alpha * step.c');
    return new TwoLayerNet(next);
  }

  /** The parameters in the flat neuron-major order of docs/MATH.md section 1. */
  flatParameters(): Float64Array {
    return flattenParameters(state(this), this.width, this.inputDim);
  }

  private checked(data: unknown) {
    const d = requireDataset(data);
    if (d.inputDim !== this.inputDim) {
      throw new NntkError('E_SHAPE', `the data have inputDim ${d.inputDim} but the network has inputDim ${this.inputDim}`);
    }
    return nativeData(d);
  }
}

/** The native view of a network, for the modules of this package. */
export function state(net: TwoLayerNet): NativeNet {
  const s = natives.get(net);
  if (!s) throw invalid('E_ARGUMENT', 'net', 'a TwoLayerNet (TwoLayerNet.create or fromParameters)', net);
  return s;
}

export function requireNet(value: unknown, name = 'net'): TwoLayerNet {
  if (!(value instanceof TwoLayerNet)) throw invalid('E_ARGUMENT', name, 'a TwoLayerNet', value);
  return value;
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(2);
}

function denseCap(limit: unknown): number {
  return limit === undefined ? DEFAULT_DENSE_MEMORY_LIMIT : requireNumber(limit, 'memoryLimitBytes', { above: 0 });
}

/** Whether a dense P x P matrix fits under the cap (and LAPACK's 32-bit indices). */
export function denseFits(parameterCount: number, limit: unknown): boolean {
  return 8 * parameterCount * parameterCount <= denseCap(limit) && parameterCount <= 46340;
}

/** E_TOO_LARGE unless a dense P x P matrix fits under the cap. */
export function requireDenseFits(parameterCount: number, limit: unknown): void {
  const cap = denseCap(limit);
  const bytes = 8 * parameterCount * parameterCount;
  if (!denseFits(parameterCount, limit)) {
    throw new NntkError(
      'E_TOO_LARGE',
      `a dense ${parameterCount} x ${parameterCount} matrix needs ${gib(bytes)} GiB, over the limit of ${gib(cap)} GiB` +
        (parameterCount > 46340 ? ' and past the 32-bit LAPACK index range' : '') +
        "; use solver 'structured' (memory linear in the width) or raise memoryLimitBytes",
    );
  }
}
