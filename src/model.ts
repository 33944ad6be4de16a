/**
 * The shallow network f(x) = (a / N^beta) sum_i c_i sigma(w_i . x + b_i) of docs/MATH.md section 1
 * (a = outputScale, section 1.1), with
 * its exact derivatives (section 2) computed by the native core. Instances are immutable: a step
 * makes a new network.
 */
import { ACTIVATIONS, type Activation } from './activation.js';
import { MAX_PARAMETER_COUNT, type Numbers } from './contract.js';
import { type Dataset, requireDataset } from './dataset.js';
import { LOSS_KEYS, type LossOptions, lossData, resolveLoss } from './loss.js';
import { NntkError } from './errors.js';
import { DEFAULT_MEMORY_LIMIT, memoryLimit, requireDenseFits, requireFits } from './memory.js';
import { native, type NativeNet } from './native.js';
import {
  flattenParameters,
  type NetParameters,
  type NetParametersInput,
  PARAMETER_GROUPS,
  type ParameterGroup,
  requireTrainable,
  splitParameters,
  trainableBlockSize,
} from './parameters.js';
import {
  copyOf,
  invalid,
  isPlainObject,
  requireFiniteArray,
  requireFiniteEntries,
  requireInteger,
  requireKnownKeys,
  requireNumber,
  requireOneOf,
} from './validate.js';
import { decodeNet, encodeNet, type TwoLayerNetJSON } from './serialize/net-json.js';

export type { TwoLayerNetJSON } from './serialize/net-json.js';
export type { NetParameters, NetParametersInput, ParameterGroup } from './parameters.js';
export { PARAMETER_GROUPS } from './parameters.js';

/** Default cap on one dense P x P matrix (and any other large buffer of a call): 4 GiB. */
export const DEFAULT_DENSE_MEMORY_LIMIT = DEFAULT_MEMORY_LIMIT;
export { MAX_PARAMETER_COUNT };

/** Only this module constructs networks: the constructor refuses any other caller. */
const CONSTRUCT = Symbol('TwoLayerNet');

/** E_TOO_LARGE unless width * (inputDim + 2) <= MAX_PARAMETER_COUNT. */
function requireParameterCount(width: number, inputDim: number): void {
  const P = width * (inputDim + 2);
  if (P > MAX_PARAMETER_COUNT) {
    throw new NntkError(
      'E_TOO_LARGE',
      `width ${width} with inputDim ${inputDim} has ${P} parameters, over nntk's limit of 2^29 = ${MAX_PARAMETER_COUNT} ` +
        `(${MAX_PARAMETER_COUNT * 8 / 2 ** 30} GiB per parameter vector); use a smaller width`,
    );
  }
}

/** How TwoLayerNet.create draws the parameters (docs/MATH.md section 1.1). */
export const INITS = ['paper', 'symmetric'] as const;
export type Init = (typeof INITS)[number];
/** Where a network's parameters started: one of INITS, or 'given' (TwoLayerNet.fromParameters). */
export type NetOrigin = Init | 'given';

/** Options of net.hessian. */
export interface HessianOptions extends LossOptions {
  /** 'newton' (default: the exact Hessian) or 'gauss-newton' (J^T diag(l'') J / M). */
  curvature?: 'newton' | 'gauss-newton';
  /** Cap on the P' x P' matrix in bytes (default 4 GiB). */
  memoryLimitBytes?: number;
}

export interface CreateOptions {
  /** N, the number of hidden neurons (>= 1; even for init 'symmetric'). No default. */
  width: number;
  /** d, the input dimension (>= 1). No default. */
  inputDim: number;
  /** The output scaling exponent of f = N^-beta sum_i c_i sigma_i, in [0, 1] (docs/MATH.md section 1). Default 0.52. */
  beta?: number;
  /** sigma (docs/MATH.md section 1). Default 'tanh'. */
  activation?: Activation;
  /** The factor a of f = (a / N^beta) sum_i c_i sigma_i (docs/MATH.md section 1.1): finite, nonzero; default 1. */
  outputScale?: number;
  /** 'paper' (default) or 'symmetric': neurons in pairs with f = 0 at initialization (width even). */
  init?: Init;
  /**
   * Which parameter groups train (docs/MATH.md section 1.2): any non-empty subset of 'W', 'b', 'c', each at
   * most once, in any order; default all three. ['W', 'b'] is the Gauss-Newton paper's fixed output layer.
   */
  trainable?: readonly ParameterGroup[];
  /**
   * How the output weights c are drawn (docs/MATH.md section 1.2): 'uniform' (default: c_i ~ U(-1, 1), the
   * paper's draw), 'signs' (c_i = +1 or -1, the sign of that same uniform draw, so W and b are unchanged), or
   * the width values themselves (finite; with init 'symmetric' they must already pair as c[i + N/2] = -c[i]).
   */
  outputWeights?: OutputWeights;
  /** Seed of the initial draw (the same seed gives the same network bit for bit). No default. */
  seed: number;
}

/** CreateOptions.outputWeights. */
export type OutputWeights = 'uniform' | 'signs' | ArrayLike<number>;
/** TwoLayerNet.outputWeights: how c was drawn. */
export type OutputWeightsOrigin = 'uniform' | 'signs' | 'given';

/** The trainable groups of a native state (absent: all three). */
function groupsOf(s: NativeNet): readonly ParameterGroup[] {
  return s.trainable === undefined ? PARAMETER_GROUPS : PARAMETER_GROUPS.filter((g) => s.trainable!.includes(g));
}

/** The output weights c for CreateOptions.outputWeights, from the uniform draw c (docs/MATH.md section 1.2). */
function outputWeights(value: unknown, drawn: Float64Array, init: Init): Float64Array {
  if (value === undefined || value === 'uniform') return drawn;
  // -0 counts as negative, so that the symmetric pairs (c, -c) stay pairs of signs.
  if (value === 'signs') return drawn.map((u) => (u < 0 || Object.is(u, -0) ? -1 : 1));
  const width = drawn.length;
  const hint = "give 'uniform', 'signs' or an array of width finite numbers";
  if (typeof value === 'string') throw new NntkError('E_ARGUMENT', `outputWeights '${value}' is not known; ${hint}`);
  if (!isArrayLike(value)) throw invalid('E_ARGUMENT', 'outputWeights', "'uniform', 'signs' or an array of numbers", value, hint);
  if (value.length !== width) throw new NntkError('E_SHAPE', `outputWeights has ${value.length} values but the width is ${width}; ${hint}`);
  // Each entry is checked before any conversion (a BigInt array would throw a TypeError in Float64Array.from).
  for (let i = 0; i < width; i++) {
    const v = (value as ArrayLike<unknown>)[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new NntkError('E_ARGUMENT', `outputWeights[${i}] is ${String(v)}, not a finite number; ${hint}`);
    }
  }
  const c = Float64Array.from(value as ArrayLike<number>);
  if (init === 'symmetric') {
    const half = width / 2;
    for (let i = 0; i < half; i++) {
      if (c[half + i] !== -c[i]!) {
        throw new NntkError('E_ARGUMENT', `init 'symmetric' pairs neuron ${i} with neuron ${half + i}, but outputWeights[${half + i}] = ${c[half + i]} ` +
          `is not -outputWeights[${i}] = ${-c[i]!}; give values with c[i + N/2] = -c[i], or init 'paper'`);
      }
    }
  }
  return c;
}

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}

/** The output scale a: a finite nonzero number (default 1). */
function requireOutputScale(value: unknown): number {
  if (value === undefined) return 1;
  const a = requireNumber(value, 'outputScale');
  if (a === 0) throw new NntkError('E_ARGUMENT', 'outputScale is 0, which makes f identically zero; give a finite nonzero factor a (default 1)');
  return a;
}

/**
 * The symmetric initialization (docs/MATH.md section 1.1): the paper's draw for the first N/2 neurons
 * (the same numbers as the first N/2 neurons of the paper's width-N draw), then neuron i + N/2 copies
 * w_i and b_i and takes c_{i+N/2} = -c_i, so that f = 0 at every input.
 */
function symmetricParameters(seed: number, width: number, inputDim: number): NetParameters {
  if (width % 2 !== 0) {
    throw new NntkError('E_ARGUMENT', `init 'symmetric' pairs the neurons, so width must be even (got ${width}); use width ${width + 1} or init 'paper'`);
  }
  const half = width / 2;
  const drawn = native().initialize(seed, half, inputDim);
  return allocating('the symmetric initialization', () => {
    const W = new Float64Array(width * inputDim);
    const b = new Float64Array(width);
    const c = new Float64Array(width);
    W.set(drawn.W, 0);
    W.set(drawn.W, half * inputDim);
    b.set(drawn.b, 0);
    b.set(drawn.b, half);
    c.set(drawn.c, 0);
    for (let i = 0; i < half; i++) c[half + i] = -(drawn.c[i] as number);
    return { W, b, c };
  });
}

const natives = new WeakMap<TwoLayerNet, NativeNet>();

export class TwoLayerNet {
  readonly width: number;
  readonly inputDim: number;
  readonly beta: number;
  readonly activation: Activation;
  /** The factor a of f = (a / N^beta) sum_i c_i sigma_i (docs/MATH.md section 1.1). */
  readonly outputScale: number;
  /** How the parameters started: 'paper', 'symmetric' (TwoLayerNet.create) or 'given' (fromParameters); steps keep it. */
  readonly init: NetOrigin;
  /** How c was drawn: 'uniform' or 'signs' (create's outputWeights), or 'given' (an array, or fromParameters); steps keep it. */
  readonly outputWeights: OutputWeightsOrigin;
  /** P = width (inputDim + 2): every parameter, trainable or frozen. */
  readonly parameterCount: number;
  /**
   * The groups that train, in the order W, b, c (docs/MATH.md section 1.2); the others keep their values in
   * every step and training method. Steps, trained networks and withParameters keep it.
   */
  readonly trainable: readonly ParameterGroup[];
  /** P' = width q': the trainable parameters, the size of J's columns, the curvature, steps and spectra. */
  readonly trainableCount: number;

  private constructor(token: symbol, state: NativeNet, init: NetOrigin, weights: OutputWeightsOrigin) {
    if (token !== CONSTRUCT) {
      throw new NntkError('E_ARGUMENT', 'TwoLayerNet has no public constructor; use TwoLayerNet.create or TwoLayerNet.fromParameters');
    }
    this.width = state.width;
    this.inputDim = state.inputDim;
    this.beta = state.beta;
    this.activation = state.activation;
    this.outputScale = state.outputScale;
    this.init = init;
    this.outputWeights = weights;
    this.parameterCount = state.width * (state.inputDim + 2);
    this.trainable = Object.freeze([...groupsOf(state)]);
    this.trainableCount = state.width * trainableBlockSize(state.inputDim, this.trainable);
    natives.set(this, state);
    Object.freeze(this);
  }

  /**
   * The paper's initialization: w_i ~ N(0, I_d), b_i ~ N(0, 1), c_i ~ U(-1, 1), drawn from a
   * counter-based generator (Philox4x32-10) keyed by the seed, so the same seed gives the same network
   * on every run, platform and thread count, and a wider network extends a narrower one of the same seed.
   * init 'symmetric' pairs the neurons instead (width even; f = 0 at every input, docs/MATH.md section 1.1);
   * outputScale is the factor a in front of the sum (default 1); trainable picks the groups that train and
   * outputWeights how c is drawn (section 1.2).
   */
  static create(o: CreateOptions): TwoLayerNet {
    if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'TwoLayerNet.create options', 'an object', o);
    requireKnownKeys(o, 'TwoLayerNet.create options', [
      'width', 'inputDim', 'beta', 'activation', 'outputScale', 'init', 'trainable', 'outputWeights', 'seed',
    ]);
    const width = requireInteger(o.width, 'width', 1);
    const inputDim = requireInteger(o.inputDim, 'inputDim', 1);
    const beta = o.beta === undefined ? 0.52 : requireNumber(o.beta, 'beta', { min: 0, max: 1 });
    const activation = o.activation === undefined ? 'tanh' : requireOneOf(o.activation, 'activation', ACTIVATIONS);
    const outputScale = requireOutputScale(o.outputScale);
    const init = o.init === undefined ? 'paper' : requireOneOf(o.init, 'init', INITS);
    const trainable = requireTrainable(o.trainable).join('');
    const seed = requireInteger(o.seed, 'seed', 0);
    requireParameterCount(width, inputDim);
    const { W, b, c: drawn } = init === 'paper' ? native().initialize(seed, width, inputDim) : symmetricParameters(seed, width, inputDim);
    const c = outputWeights(o.outputWeights, drawn, init);
    const weights = o.outputWeights === undefined ? 'uniform' : typeof o.outputWeights === 'string' ? o.outputWeights : 'given';
    return new TwoLayerNet(CONSTRUCT, { width, inputDim, beta, outputScale, activation, W, b, c, trainable }, init, weights as OutputWeightsOrigin);
  }

  /** A network with the given parameters (copied). W is width x inputDim, row-major; trainable as in create. */
  static fromParameters(
    o: NetParametersInput & { beta: number; activation?: Activation; outputScale?: number; trainable?: readonly ParameterGroup[] },
  ): TwoLayerNet {
    if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'TwoLayerNet.fromParameters options', 'an object', o);
    requireKnownKeys(o, 'TwoLayerNet.fromParameters options', ['W', 'b', 'c', 'beta', 'activation', 'outputScale', 'trainable']);
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
    const outputScale = requireOutputScale(o.outputScale);
    const trainable = requireTrainable(o.trainable).join('');
    requireParameterCount(width, W.length / width);
    return new TwoLayerNet(CONSTRUCT, {
      width,
      inputDim: W.length / width,
      beta,
      outputScale,
      activation,
      W: copyOf(W),
      b: copyOf(b),
      c: copyOf(c),
      trainable,
    }, 'given', 'given');
  }

  /**
   * A network saved by toJSON (after JSON.parse, or as the object itself): every setting and weight back bit
   * for bit, origins included. Everything is checked: a wrong format tag, a version from a newer nntk
   * (E_UNSUPPORTED), missing or unknown fields, wrong lengths (E_SHAPE) and non-finite weights (E_NONFINITE)
   * are NntkErrors that say what to fix. The format: docs/formats.md.
   */
  static fromJSON(value: unknown): TwoLayerNet {
    const { state: s, init, outputWeights: weights } = decodeNet(value);
    return new TwoLayerNet(CONSTRUCT, s, init, weights);
  }

  /**
   * The network as a plain JSON value { format: 'nntk.TwoLayerNet', version: 1, width, inputDim, beta,
   * activation, outputScale, init, outputWeights, trainable, W, b, c } (docs/formats.md); JSON.stringify(net)
   * calls it, and TwoLayerNet.fromJSON(JSON.parse(text)) gives the same network bit for bit.
   */
  toJSON(): TwoLayerNetJSON {
    return encodeNet(state(this), this.init, this.outputWeights, this.trainable);
  }

  /** Copies of the parameters. */
  parameters(): NetParameters {
    const s = state(this);
    return allocating('a copy of the parameters', () => ({ W: Float64Array.from(s.W), b: Float64Array.from(s.b), c: Float64Array.from(s.c) }));
  }

  /** f at each row of x (rows of inputDim numbers, row-major). */
  predict(x: Numbers): Float64Array {
    const s = state(this);
    const values = requireFiniteArray(x, 'x');
    if (values.length % this.inputDim !== 0) {
      throw invalid('E_SHAPE', 'x', `a Float64Array whose length is a multiple of inputDim = ${this.inputDim}`, x);
    }
    return native().predict(s, values);
  }

  /** L = (1 / 2M) sum_m (f(x_m) - y_m)^2, or the loss named in `o` (docs/MATH.md section 1.3, loss.ts). */
  loss(data: Dataset, o: LossOptions = {}): number {
    return native().loss(state(this), checkedData(this, data, o, 'loss options'));
  }

  /**
   * grad L = J^T l' / M (l' = f - y for the square loss), split by parameter family: the derivatives in the
   * trainable groups and zeros in the frozen ones (docs/MATH.md section 1.2), so withStep(gradient, -lr) is a
   * gradient-descent step that keeps them.
   */
  gradient(data: Dataset, o: LossOptions = {}): NetParameters {
    const d = checkedData(this, data, o, 'gradient options');
    return splitParameters(native().gradient(state(this), d), this.width, this.inputDim, this.trainable);
  }

  /**
   * J = df/dtheta at every data point: M x P', row-major, neuron-major columns (docs/MATH.md section 1) of the
   * trainable parameters only (section 1.2: q' per neuron, w (d) when W trains, b when b trains, c when c trains).
   */
  jacobian(data: Dataset): Float64Array {
    const d = checkedData(this, data);
    requireFits(8 * d.size * this.trainableCount, DEFAULT_MEMORY_LIMIT, `the ${d.size} x ${this.trainableCount} Jacobian`,
      'use a smaller width or data set (the kernels and steps never form it)');
    return native().jacobian(state(this), d);
  }

  /**
   * The exact Hessian of L (P' x P' in the trainable parameters, docs/MATH.md section 1.2; row-major =
   * column-major since symmetric), or with curvature 'gauss-newton' the matrix J^T diag(l'') J / M (J^T J / M
   * for the square loss, section 1.3). E_TOO_LARGE past memoryLimitBytes (default 4 GiB).
   */
  hessian(
    data: Dataset,
    o: HessianOptions = {},
  ): Float64Array {
    if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'hessian options', 'an object', o);
    requireKnownKeys(o, 'hessian options', ['curvature', 'memoryLimitBytes', ...LOSS_KEYS]);
    const d = checkedData(this, data, { loss: o.loss, huberDelta: o.huberDelta }, 'hessian options');
    const curvature = o.curvature === undefined ? 'newton' : requireOneOf(o.curvature, 'curvature', ['newton', 'gauss-newton']);
    requireDenseFits(this.trainableCount, memoryLimit(o.memoryLimitBytes));
    return native().curvature(state(this), d, curvature);
  }

  /**
   * A new network with parameters theta + alpha * step. Frozen groups (docs/MATH.md section 1.2) are copied
   * bit for bit; the step must be zero there (as the steps and gradients of this package are), else E_ARGUMENT.
   */
  withStep(step: NetParametersInput, alpha = 1): TwoLayerNet {
    state(this);
    if (!isPlainObject(step)) throw invalid('E_ARGUMENT', 'step', 'an object { W, b, c }', step);
    const dW = requireFiniteArray(step.W, 'step.W', this.width * this.inputDim);
    const db = requireFiniteArray(step.b, 'step.b', this.width);
    const dc = requireFiniteArray(step.c, 'step.c', this.width);
    requireNumber(alpha, 'alpha');
    const s = state(this);
    const moves = (group: ParameterGroup, delta: Float64Array): boolean => {
      if (this.trainable.includes(group)) return true;
      if (delta.some((v) => v !== 0)) {
        throw new NntkError('E_ARGUMENT', `step.${group} is not zero but the network's group ${group} is frozen (trainable ` +
          `${JSON.stringify(this.trainable)}); zero it, or create the network with '${group}' in trainable`);
      }
      return false;
    };
    const [mW, mb, mc] = [moves('W', dW), moves('b', db), moves('c', dc)];
    const next = allocating('the stepped parameters', () => ({
      ...s,
      W: mW ? s.W.map((v, k) => v + alpha * (dW[k] as number)) : Float64Array.from(s.W),
      b: mb ? s.b.map((v, k) => v + alpha * (db[k] as number)) : Float64Array.from(s.b),
      c: mc ? s.c.map((v, k) => v + alpha * (dc[k] as number)) : Float64Array.from(s.c),
    }));
    requireFiniteEntries(next.W, 'W + alpha * step.W');
    requireFiniteEntries(next.b, 'b + alpha * step.b');
    requireFiniteEntries(next.c, 'c + alpha * step.c');
    return new TwoLayerNet(CONSTRUCT, next, this.init, this.outputWeights);
  }

  /** Every parameter (P, trainable or frozen) in the flat neuron-major order of docs/MATH.md section 1. */
  flatParameters(): Float64Array {
    const s = state(this);
    return allocating('the flat parameters', () => flattenParameters(s, this.width, this.inputDim));
  }
}

/**
 * A network like `net` (beta, activation, output scale, origin, trainable groups) with other parameters, for the modules of
 * this package (train's result). The arrays are copied; their sizes must be net's.
 */
export function withParameters(net: TwoLayerNet, p: NetParameters): TwoLayerNet {
  const s = state(net);
  const next = allocating('the parameters', () => ({ ...s, W: copyOf(p.W), b: copyOf(p.b), c: copyOf(p.c) }));
  // The constructor is private to the class for TypeScript; the CONSTRUCT token is what guards it at run time.
  const Construct = TwoLayerNet as unknown as new (token: symbol, state: NativeNet, init: NetOrigin, weights: OutputWeightsOrigin) => TwoLayerNet;
  return new Construct(CONSTRUCT, next, net.init, net.outputWeights);
}

/** The data's native view with the loss of `o`, after checking that `net` is a network (also as `this`) and that they agree. */
function checkedData(net: unknown, data: unknown, o: unknown = {}, what = 'options') {
  const s = state(net as TwoLayerNet);
  const d = requireDataset(data);
  if (d.inputDim !== s.inputDim) {
    throw new NntkError('E_SHAPE', `the data have inputDim ${d.inputDim} but the network has inputDim ${s.inputDim}`);
  }
  if (!isPlainObject(o)) throw invalid('E_ARGUMENT', what, 'an object { loss?, huberDelta? }', o);
  const known = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  requireKnownKeys(known, what, LOSS_KEYS);
  return lossData(d, resolveLoss(known));
}

/** Runs an allocation; V8's "Array buffer allocation failed" becomes E_TOO_LARGE. */
export function allocating<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RangeError) throw new NntkError('E_TOO_LARGE', `could not allocate ${what} (${e.message}); reduce the problem size`);
    throw e;
  }
}

/** The native view of a network, for the modules of this package. */
export function state(net: TwoLayerNet): NativeNet {
  const s = natives.get(net);
  if (!s) throw invalid('E_ARGUMENT', 'net', 'a TwoLayerNet (TwoLayerNet.create or fromParameters)', net);
  return s;
}

export function requireNet(value: unknown, name = 'net'): TwoLayerNet {
  if (!(value instanceof TwoLayerNet) || !natives.has(value)) {
    throw invalid('E_ARGUMENT', name, 'a TwoLayerNet (TwoLayerNet.create or fromParameters)', value);
  }
  return value;
}

