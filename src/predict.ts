/**
 * Kernels at test points and the linearized dynamics at any time (docs/MATH.md section 5, "Predictions"),
 * neural-tangents' predict for gradient descent and for Newton / Gauss-Newton:
 * - ntkCross / nntkCross: B(x_t, x_m) = J_t J^T / M and J_t (C + lambda I)^-1 J^T / M between test points and
 *   the training points (Mt x M, row-major), with each test point's kernel with itself; streamed over neurons,
 *   never a P x P matrix (native/core/cross_kernels.cpp);
 * - LinearizedPredictor: the kernel decomposed once, K = V diag(kappa) V^T, after which the function at the
 *   training and the test points costs O(M^2 + Mt M) at any t:
 *     f_t = y - V (1 - alpha kappa)^t V^T (y - f_0),
 *     f_t(x) = f_0(x) + K(x, X) V phi_t(kappa) V^T (y - f_0),  phi_t(kappa) = (1 - (1 - alpha kappa)^t) / kappa,
 *   evaluated as expm1 / log1p so that t = 10^6 costs and rounds like t = 1 (continuous time: exp(-alpha kappa t)).
 * linearizedPredictor builds one from a network: gradient descent with the NTK, Newton / Gauss-Newton with the
 * NNTK, at the network's width or in the infinite-width limit.
 */
import type { Numbers } from './contract.js';
import { Dataset as DatasetClass, type Dataset, requireDataset } from './dataset.js';
import { NntkError } from './errors.js';
import { type LimitSetting, ntkGramLimit } from './limit.js';
import { memoryLimit, requireFits } from './memory.js';
import { requireNet, type TwoLayerNet } from './model.js';
import { native } from './native.js';
import { nntkGram, ntkGram, symmetricEigen } from './kernels.js';
import { type Curvature, nativeRequest, options, problem, type Regularization, resolveLambda, systemRequest } from './request.js';
import { copyOf, invalid, isPlainObject, requireFiniteArray, requireKnownKeys, requireNumber, requireOneOf } from './validate.js';

export interface CrossKernel {
  /** Mt x M, row-major: the kernel between each test point (row) and each training point. */
  readonly cross: Float64Array;
  /** Mt: the kernel of each test point with itself. */
  readonly diagonal: Float64Array;
}
export interface NtkCrossOptions {
  /** Cap on the Mt x M result and its scratch (default 4 GiB). */
  memoryLimitBytes?: number;
}
export interface NntkCrossOptions {
  /** { gamma } or { lambda }, as in StepOptions. No default. */
  regularization: Regularization;
  /** Default 'newton'. */
  curvature?: Curvature;
  /** Cap on the (Mt + M)^2 kernel and the structured solver's buffers (default 4 GiB). */
  memoryLimitBytes?: number;
}

function testInputs(value: unknown, inputDim: number): Float64Array {
  const x = requireFiniteArray(value, 'test');
  if (x.length === 0 || x.length % inputDim !== 0) {
    throw invalid('E_SHAPE', 'test', `a positive whole number of rows of inputDim ${inputDim}`, value);
  }
  return x;
}

function ntkCrossArgs(net: unknown, data: unknown, test: unknown, value: unknown) {
  const p = problem(net, data);
  const o = options(value, 'ntkCross options', ['memoryLimitBytes'], '{ memoryLimitBytes? }');
  const x = testInputs(test, p.net.inputDim);
  requireFits(8 * (x.length / p.net.inputDim) * p.data.size * 3, memoryLimit(o.memoryLimitBytes), 'the cross kernel', 'use fewer test points');
  return [p.nativeNet, p.nativeData, x] as const;
}

function nntkCrossArgs(net: unknown, data: unknown, test: unknown, value: unknown) {
  const s = systemRequest(net, data, value, 'nntkCross options', ['regularization', 'curvature', 'memoryLimitBytes']);
  const x = testInputs(test, s.net.inputDim);
  const Mt = x.length / s.net.inputDim;
  requireFits(8 * (Mt + s.data.size) * (Mt + s.data.size) * 3, s.memoryLimitBytes, 'the cross kernel', 'use fewer test points');
  return [s.nativeNet, s.nativeData, x, nativeRequest(s, 'inertia')] as const;
}

/** B(x_t, x_m) = J_t J^T / M between test inputs (rows of inputDim) and the training points, on a worker thread. */
export async function ntkCross(net: TwoLayerNet, data: Dataset, test: Numbers, o: NtkCrossOptions = {}): Promise<CrossKernel> {
  return native().ntkCross(...ntkCrossArgs(net, data, test, o));
}
export function ntkCrossSync(net: TwoLayerNet, data: Dataset, test: Numbers, o: NtkCrossOptions = {}): CrossKernel {
  return native().ntkCrossSync(...ntkCrossArgs(net, data, test, o));
}
/** J_t (C + lambda I)^-1 J^T / M between test inputs and the training points (the structured solver's Woodbury form). */
export async function nntkCross(net: TwoLayerNet, data: Dataset, test: Numbers, o: NntkCrossOptions): Promise<CrossKernel> {
  return native().nntkCross(...nntkCrossArgs(net, data, test, o));
}
export function nntkCrossSync(net: TwoLayerNet, data: Dataset, test: Numbers, o: NntkCrossOptions): CrossKernel {
  return native().nntkCrossSync(...nntkCrossArgs(net, data, test, o));
}

export type PredictorTime = 'discrete' | 'continuous';

export interface KernelPredictorInit {
  /** M x M, row-major, symmetric positive semidefinite up to rounding (an NTK or an NNTK). */
  readonly kernel: Numbers;
  /** Training targets and the function at the training points at t = 0. */
  readonly y: Numbers;
  /** The function at the training points at t = 0 (length M). */
  readonly f0: Numbers;
  /** Optional test points: the Mt x M cross kernel (row-major). Default: none; give it with f0Test. */
  readonly cross?: Numbers;
  /** The function at the test points at t = 0 (length Mt). Default: none; give it with cross. */
  readonly f0Test?: Numbers;
  /** Step size (gradient descent's learning rate, Newton's alpha); default 1. */
  alpha?: number;
  /** 'discrete' (default): f_{t+1} = f_t + alpha K (y - f_t); 'continuous': df/dt = alpha K (y - f). */
  time?: PredictorTime;
}

export interface Prediction {
  /** The function at the training points. */
  readonly train: Float64Array;
  /** The function at the test points (when the predictor has them). */
  readonly test?: Float64Array;
}

/** The linearized dynamics of one kernel, decomposed once (see the module comment). */
export class LinearizedPredictor {
  /** Ascending eigenvalues of the kernel. */
  readonly eigenvalues: Float64Array;
  readonly alpha: number;
  readonly time: PredictorTime;
  readonly size: number;
  readonly testSize: number;
  readonly #V: Float64Array; // M x M, row-major, eigenvectors as columns
  readonly #a: Float64Array; // V^T (y - f_0)
  readonly #W: Float64Array | undefined; // cross V (Mt x M)
  readonly #y: Float64Array;
  readonly #f0Test: Float64Array | undefined;

  constructor(init: KernelPredictorInit) {
    if (!isPlainObject(init)) throw invalid('E_ARGUMENT', 'predictor', 'an object { kernel, y, f0, cross?, f0Test?, alpha?, time? }', init);
    requireKnownKeys(init, 'predictor', ['kernel', 'y', 'f0', 'cross', 'f0Test', 'alpha', 'time']);
    const y = copyOf(requireFiniteArray(init.y, 'y'));
    const M = y.length;
    if (M === 0) throw new NntkError('E_SHAPE', 'y is empty; a predictor needs at least one training point');
    const f0 = requireFiniteArray(init.f0, 'f0', M);
    const { values, vectors } = symmetricEigen(requireFiniteArray(init.kernel, 'kernel', M * M), M);
    this.eigenvalues = values;
    this.#V = vectors;
    this.alpha = init.alpha === undefined ? 1 : requireNumber(init.alpha, 'alpha', { above: 0 });
    this.time = init.time === undefined ? 'discrete' : requireOneOf(init.time, 'time', ['discrete', 'continuous'] as const);
    this.size = M;
    this.#y = y;
    this.#a = new Float64Array(M);
    for (let k = 0; k < M; k++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += vectors[m * M + k]! * (y[m]! - f0[m]!);
      this.#a[k] = s;
    }
    if ((init.cross === undefined) !== (init.f0Test === undefined)) {
      throw new NntkError('E_ARGUMENT', 'give both cross and f0Test, or neither');
    }
    if (init.cross !== undefined) {
      const f0Test = copyOf(requireFiniteArray(init.f0Test, 'f0Test'));
      const Mt = f0Test.length;
      const cross = requireFiniteArray(init.cross, 'cross', Mt * M);
      const W = new Float64Array(Mt * M);
      for (let r = 0; r < Mt; r++)
        for (let k = 0; k < M; k++) {
          let s = 0;
          for (let m = 0; m < M; m++) s += cross[r * M + m]! * vectors[m * M + k]!;
          W[r * M + k] = s;
        }
      this.#W = W;
      this.#f0Test = f0Test;
      this.testSize = Mt;
    } else {
      this.testSize = 0;
    }
  }

  /** The function at time t >= 0 (an integer in discrete time when alpha * kappa > 1 for some eigenvalue). */
  predict(t: number): Prediction {
    const time = requireNumber(t, 't', { min: 0 });
    const M = this.size;
    const decay = new Float64Array(M);
    const phi = new Float64Array(M);
    const alpha = this.alpha;
    for (let k = 0; k < M; k++) {
      const kappa = this.eigenvalues[k]!;
      if (this.time === 'continuous') {
        decay[k] = Math.exp(-alpha * kappa * time);
        phi[k] = kappa === 0 ? alpha * time : -Math.expm1(-alpha * kappa * time) / kappa;
      } else if (1 - alpha * kappa > 0) {
        const log = Math.log1p(-alpha * kappa);
        decay[k] = Math.exp(time * log);
        phi[k] = kappa === 0 ? alpha * time : -Math.expm1(time * log) / kappa;
      } else {
        if (!Number.isInteger(time)) {
          throw new NntkError('E_ARGUMENT', `t = ${time} is not an integer, and 1 - alpha kappa = ${1 - alpha * kappa} <= 0 has no real power; use integer t`);
        }
        decay[k] = (1 - alpha * kappa) ** time;
        phi[k] = (1 - decay[k]!) / kappa;
      }
      if (!Number.isFinite(decay[k]!) || !Number.isFinite(phi[k]!)) {
        throw new NntkError('E_NONFINITE', `the linearized dynamics overflow by t = ${time}: 1 - alpha kappa = ${1 - alpha * kappa} has modulus above 1; use a smaller alpha (below 2 / ${this.eigenvalues[M - 1]})`);
      }
    }
    const V = this.#V;
    const a = this.#a;
    const train = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let k = 0; k < M; k++) s += V[m * M + k]! * decay[k]! * a[k]!;
      train[m] = this.#y[m]! - s;
    }
    const overflow = (where: string) =>
      new NntkError('E_NONFINITE', `the prediction at ${where} overflows at t = ${time}; rescale y, f0 or the kernel`);
    if (!train.every(Number.isFinite)) throw overflow('the training points');
    if (this.#W === undefined) return { train };
    const W = this.#W;
    const test = copyOf(this.#f0Test!);
    for (let r = 0; r < this.testSize; r++) {
      let s = 0;
      for (let k = 0; k < M; k++) s += W[r * M + k]! * phi[k]! * a[k]!;
      test[r]! += s;
    }
    if (!test.every(Number.isFinite)) throw overflow('the test points');
    return { train, test };
  }

  /** The training loss (1 / 2M) |f_t - y|^2 at time t. */
  loss(t: number): number {
    const f = this.predict(t).train;
    let s = 0;
    for (let m = 0; m < this.size; m++) s += (f[m]! - this.#y[m]!) ** 2;
    return s / (2 * this.size);
  }
}

export type PredictorMethod = 'gd' | 'newton' | 'gauss-newton';

export interface LinearizedPredictorOptions {
  /** 'gd': the NTK; 'newton' / 'gauss-newton': the NNTK of that curvature. */
  method: PredictorMethod;
  /** gd: the learning rate (f_{t+1} = f_t + learningRate B (y - f_t)); required for gd, no default. */
  learningRate?: number;
  /** newton / gauss-newton: the step size (default 1). */
  alpha?: number;
  /** newton / gauss-newton: { gamma } or { lambda }; required for them, no default. */
  regularization?: Regularization;
  /**
   * The infinite-width kernels instead of the network's (default false): a^2 N^(1 - 2 beta) B* for gd, B* (B* + (gamma / a^2) I)^-1 for
   * newton / gauss-newton (a = net.outputScale), B* of the network's trainable groups and output weights (docs/MATH.md section 1.2).
   */
  limit?: boolean;
  /** Test inputs, rows of inputDim (a Float64Array or an array of numbers). Default: none (training points only). */
  test?: Numbers;
  /** Default 'discrete'. */
  time?: PredictorTime;
  /** Cap on the kernels' buffers, as in StepOptions. Default 4 GiB. */
  memoryLimitBytes?: number;
}

/**
 * The network's limit setting (docs/MATH.md section 1.2): its trainable groups and E[c^2] from how c was drawn.
 * Output weights given to TwoLayerNet.create have no limit nntk knows (E_ARGUMENT); a network from
 * fromParameters is taken, as before, to follow the paper's c ~ U(-1, 1).
 */
function limitSetting(net: TwoLayerNet): LimitSetting {
  if (net.outputWeights === 'given' && net.init !== 'given') {
    throw new NntkError('E_ARGUMENT', 'limit: true needs the distribution of the output weights (E[c^2]), but this network was created ' +
      "with given values; create it with outputWeights 'uniform' or 'signs', or use limit: false (the network's own kernels)");
  }
  return { trainable: net.trainable, outputWeights: net.outputWeights === 'signs' ? 'signs' : 'uniform' };
}

const PREDICTOR_KEYS = ['method', 'learningRate', 'alpha', 'regularization', 'limit', 'test', 'time', 'memoryLimitBytes'];

/** Limit kernels on the training points and between test and training points, from the limit Gram of their union. */
async function limitKernels(data: Dataset, test: Float64Array | undefined, activation: TwoLayerNet['activation'], setting: LimitSetting) {
  const M = data.size;
  const d = data.inputDim;
  if (test === undefined) return { K: await ntkGramLimit(data, { activation, ...setting }), cross: undefined };
  const Mt = test.length / d;
  const x = new Float64Array((M + Mt) * d);
  x.set(data.x, 0);
  x.set(test, M * d);
  const union = DatasetClass.create({ x, y: new Float64Array(M + Mt), inputDim: d });
  const U = await ntkGramLimit(union, { activation, ...setting });
  // B* carries 1/(points); rescale from the union's count to the training count.
  const n = M + Mt;
  const scale = n / M;
  const K = new Float64Array(M * M);
  const cross = new Float64Array(Mt * M);
  for (let a = 0; a < M; a++) for (let b = 0; b < M; b++) K[a * M + b] = U[a * n + b]! * scale;
  for (let r = 0; r < Mt; r++) for (let b = 0; b < M; b++) cross[r * M + b] = U[(M + r) * n + b]! * scale;
  return { K, cross };
}

/** B* (B* + gamma I)^-1 and its cross block B*(x, X) (B* + gamma I)^-1, through one eigen-decomposition of B*. */
function newtonLimit(B: Float64Array, cross: Float64Array | undefined, M: number, gamma: number) {
  const { values, vectors } = symmetricEigen(B, M);
  const inv = new Float64Array(M * M); // (B* + gamma I)^-1
  for (let a = 0; a < M; a++)
    for (let b = 0; b < M; b++) {
      let s = 0;
      for (let k = 0; k < M; k++) s += (vectors[a * M + k]! * vectors[b * M + k]!) / (Math.max(values[k]!, 0) + gamma);
      inv[a * M + b] = s;
    }
  const times = (A: Float64Array, rows: number) => {
    const out = new Float64Array(rows * M);
    for (let r = 0; r < rows; r++)
      for (let b = 0; b < M; b++) {
        let s = 0;
        for (let k = 0; k < M; k++) s += A[r * M + k]! * inv[k * M + b]!;
        out[r * M + b] = s;
      }
    return out;
  };
  const K = times(B, M);
  for (let a = 0; a < M; a++) for (let b = 0; b < a; b++) K[a * M + b] = K[b * M + a] = 0.5 * (K[a * M + b]! + K[b * M + a]!);
  return { K, cross: cross === undefined ? undefined : times(cross, cross.length / M) };
}

/**
 * A predictor of the linearized training dynamics of `net` on `data` (see the module comment): the kernel and the
 * cross kernel are computed here (off the main thread where they are native), then every predict(t) is a few
 * small matrix-vector products.
 */
export async function linearizedPredictor(netArg: TwoLayerNet, dataArg: Dataset, o: LinearizedPredictorOptions): Promise<LinearizedPredictor> {
  const net = requireNet(netArg);
  const data = requireDataset(dataArg);
  if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'linearizedPredictor options', 'an object { method, ... }', o);
  requireKnownKeys(o, 'linearizedPredictor options', PREDICTOR_KEYS);
  const method = requireOneOf(o.method, 'method', ['gd', 'newton', 'gauss-newton'] as const);
  const limit = o.limit === undefined ? false : o.limit;
  if (typeof limit !== 'boolean') throw invalid('E_ARGUMENT', 'limit', 'true or false', o.limit);
  const setting = limit ? limitSetting(net) : {};
  const test = o.test === undefined ? undefined : testInputs(o.test, net.inputDim);
  const memoryLimitBytes = memoryLimit(o.memoryLimitBytes);
  const M = data.size;
  let alpha: number;
  let K: Float64Array;
  let cross: Float64Array | undefined;
  if (method === 'gd') {
    if (o.regularization !== undefined || o.alpha !== undefined) {
      throw new NntkError('E_ARGUMENT', "method 'gd' takes learningRate, not regularization or alpha");
    }
    if (o.learningRate === undefined) throw new NntkError('E_ARGUMENT', "method 'gd' needs learningRate (f_{t+1} = f_t + learningRate B (y - f_t))");
    alpha = requireNumber(o.learningRate, 'learningRate', { above: 0 });
    if (limit) {
      const l = await limitKernels(data, test, net.activation, setting);
      // J carries the output scale a once, so J J^T / M tends to a^2 N^(1 - 2 beta) B* (docs/MATH.md section 1.1).
      const widthScale = net.outputScale ** 2 * net.width ** (1 - 2 * net.beta);
      K = l.K.map((v) => v * widthScale);
      cross = l.cross?.map((v) => v * widthScale);
    } else {
      K = await ntkGram(net, data, { memoryLimitBytes });
      cross = test === undefined ? undefined : (await ntkCross(net, data, test, { memoryLimitBytes })).cross;
    }
  } else {
    if (o.learningRate !== undefined) throw new NntkError('E_ARGUMENT', `method '${method}' takes alpha, not learningRate`);
    if (o.regularization === undefined) throw new NntkError('E_ARGUMENT', `method '${method}' needs regularization ({ gamma } or { lambda })`);
    alpha = o.alpha === undefined ? 1 : requireNumber(o.alpha, 'alpha', { above: 0 });
    if (limit) {
      const lambda = resolveLambda(o.regularization, net.width, net.beta);
      // B (B + lambda I)^-1 with B -> a^2 N^(1 - 2 beta) B* is B* (B* + gamma / a^2 I)^-1 (docs/MATH.md section 1.1).
      const gamma = (lambda * net.width ** (2 * net.beta - 1)) / net.outputScale ** 2;
      const l = await limitKernels(data, test, net.activation, setting);
      ({ K, cross } = newtonLimit(l.K, l.cross, M, gamma));
    } else {
      const ko = { regularization: o.regularization, curvature: method, memoryLimitBytes };
      K = await nntkGram(net, data, ko);
      cross = test === undefined ? undefined : (await nntkCross(net, data, test, ko)).cross;
    }
  }
  const time = o.time === undefined ? 'discrete' : requireOneOf(o.time, 'time', ['discrete', 'continuous'] as const);
  return new LinearizedPredictor({
    kernel: K,
    y: data.y,
    f0: net.predict(data.x),
    ...(test === undefined ? {} : { cross: cross!, f0Test: net.predict(test) }),
    alpha,
    time,
  });
}
