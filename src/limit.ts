/**
 * The infinite-width kernels of docs/MATH.md section 5 for the paper's initialization (section 1):
 *   ntkGramLimit:  B*(x, x') = (1/M) (E[sigma(z) sigma(z')] + (1/3)(x.x' + 1) E[sigma'(z) sigma'(z')]),
 *                  (z, z') centered normal with Var z = |x|^2 + 1, Var z' = |x'|^2 + 1, Cov = x.x' + 1;
 *                  it is lim N^(2 beta - 1) J J^T / M;
 *   nntkGramLimit: NNTK* = B* (B* + gamma I)^-1, eigenvalues mu / (mu + gamma) in (0, 1);
 *   ntkCrossLimit: B*(x_test, x_train) with the same 1/M (M training points), the off-diagonal block of
 *                  the Gram of the union times M_union / M; ntkDiagonalLimit: B*(x_t, x_t), likewise.
 * The Gaussian expectations (native/core/limit_kernel.cpp, MATH.md sections 5.1-5.2): closed forms for
 * erf, sin and gelu (any inputDim, exact to rounding); for tanh, sigmoid, softplus and silu with inputDim 1
 * one trapezoidal (w, b) grid shared by all pairs, its w spacing proportional to 1 / max |x| (~1e-14 of
 * max |B*| up to max |x| = 200, then slowly degrading); with inputDim > 1 a Gauss-Hermite rule per pair
 * (~1e-13 up to max |x| ~ 7 for tanh, ~12 for the others, degrading beyond: tanh at |x| = 10, ~3e-9).
 * Results do not depend on setThreads(). Each function returns a Promise and computes off the main
 * thread; its ...Sync twin blocks.
 *
 * Every function takes the network setting of docs/MATH.md section 1.2 as options: `trainable` (the groups that
 * train; default all three) keeps only their terms of B*, E[sigma sigma'] from c, E[c^2] x.x' E[sigma' sigma'] from W and
 * E[c^2] E[sigma' sigma'] from b, and `outputWeights` ('uniform', default: E[c^2] = 1/3; 'signs': E[c^2] = 1) sets E[c^2].
 */
import type { Numbers } from './contract.js';
import { ACTIVATIONS, type Activation } from './activation.js';
import { type Dataset, requireDataset } from './dataset.js';
import { NntkError } from './errors.js';
import { native, type NativeLimitTerms } from './native.js';
import { type ParameterGroup, requireTrainable } from './parameters.js';
import { invalid, float64Values, isPlainObject, requireFiniteEntries, requireKnownKeys, requireNumber, requireOneOf } from './validate.js';

/** The network setting whose limit is wanted (docs/MATH.md section 1.2). */
export interface LimitSetting {
  /** The groups that train (a non-empty subset of 'W', 'b', 'c'; default all three). */
  trainable?: readonly ParameterGroup[];
  /** How c is drawn: 'uniform' (default, E[c^2] = 1/3) or 'signs' (E[c^2] = 1). */
  outputWeights?: 'uniform' | 'signs';
}
export interface NtkGramLimitOptions extends LimitSetting {
  /** Default 'tanh'. */
  activation?: Activation;
}
export interface NtkCrossLimitOptions extends LimitSetting {
  /** Default 'tanh'. */
  activation?: Activation;
}
export type NtkDiagonalLimitOptions = NtkCrossLimitOptions;
export interface NntkGramLimitOptions extends LimitSetting {
  /** Default 'tanh'. */
  activation?: Activation;
  /** The width-free regularization gamma >= 0 (0 only when B* is positive definite). */
  gamma: number;
}

const SETTING_KEYS = ['trainable', 'outputWeights'];

/** The native terms of a setting; undefined for the default (every group, uniform c: today's kernel bit for bit). */
function limitTerms(o: Record<string, unknown>): NativeLimitTerms | undefined {
  if (o.trainable === undefined && o.outputWeights === undefined) return undefined;
  const trainable = requireTrainable(o.trainable).join('');
  const weights = o.outputWeights === undefined ? 'uniform' : requireOneOf(o.outputWeights, 'outputWeights', ['uniform', 'signs'] as const);
  if (trainable === 'Wbc' && weights === 'uniform') return undefined;
  return { trainable, outputMoment: weights === 'signs' ? 1 : 1 / 3 };
}

/** Limit Grams are M x M dense matrices; cap them like the other dense results (4 GiB). */
const MAX_GRAM_BYTES = 4 * 2 ** 30;

function prepare(dataArg: unknown, options: unknown, name: string, allowed: readonly string[]) {
  const data = requireDataset(dataArg);
  if (!isPlainObject(options)) throw invalid('E_ARGUMENT', name, 'an options object', options);
  requireKnownKeys(options, name, [...allowed, ...SETTING_KEYS]);
  const activation = options.activation === undefined ? 'tanh' : requireOneOf(options.activation, 'activation', ACTIVATIONS);
  const terms = limitTerms(options);
  const bytes = 8 * data.size * data.size;
  if (bytes > MAX_GRAM_BYTES) {
    throw new NntkError('E_TOO_LARGE', `the ${data.size} x ${data.size} kernel would take ${(bytes / 2 ** 30).toFixed(1)} GiB; use fewer data points`);
  }
  return { data, activation, options, terms };
}

/**
 * The limit NTK Gram B* = lim N^(2 beta - 1) J J^T / M (M x M, row-major). Computed on a worker thread
 * (from a copy of the inputs); 256 points over [-7, 7] take ~1 ms for erf, sin and gelu and ~0.1 s for
 * tanh (bench/limit-kernels.ts). ntkGramLimitSync blocks instead.
 */
export async function ntkGramLimit(data: Dataset, o: NtkGramLimitOptions = {}): Promise<Float64Array> {
  const p = prepare(data, o, 'ntkGramLimit options', ['activation']);
  return native().ntkGramLimit(p.data.x, p.data.size, p.data.inputDim, p.activation, undefined, p.terms);
}
export function ntkGramLimitSync(data: Dataset, o: NtkGramLimitOptions = {}): Float64Array {
  const p = prepare(data, o, 'ntkGramLimit options', ['activation']);
  return native().ntkGramLimitSync(p.data.x, p.data.size, p.data.inputDim, p.activation, undefined, p.terms);
}

/**
 * The limit Newton NTK NNTK* = B* (B* + gamma I)^-1 (M x M, row-major, symmetric), on a worker thread
 * like ntkGramLimit; nntkGramLimitSync blocks. Rejects (throws, for the Sync twin) E_SINGULAR when
 * B* + gamma I is singular to working precision (gamma = 0 with singular B*, or gamma too small).
 */
export async function nntkGramLimit(data: Dataset, o: NntkGramLimitOptions): Promise<Float64Array> {
  const p = prepare(data, o, 'nntkGramLimit options', ['activation', 'gamma']);
  const gamma = requireNumber(p.options.gamma, 'gamma', { min: 0 });
  return native().nntkGramLimit(p.data.x, p.data.size, p.data.inputDim, p.activation, gamma, p.terms);
}
export function nntkGramLimitSync(data: Dataset, o: NntkGramLimitOptions): Float64Array {
  const p = prepare(data, o, 'nntkGramLimit options', ['activation', 'gamma']);
  const gamma = requireNumber(p.options.gamma, 'gamma', { min: 0 });
  return native().nntkGramLimitSync(p.data.x, p.data.size, p.data.inputDim, p.activation, gamma, p.terms);
}

/** Test points: a Float64Array of whole rows of data.inputDim finite values, and the Mt x M result's size. */
function prepareTest(testValues: unknown, data: Dataset, what: string, resultEntries: (Mt: number) => number): { test: Float64Array; Mt: number } {
  const testArg = float64Values(testValues, `${what} test`);
  const d = data.inputDim;
  if (testArg.length % d !== 0) {
    throw invalid('E_SHAPE', `${what} test`, `whole rows of inputDim = ${d} values`, testArg, `it holds ${testArg.length} numbers, not a multiple of ${d}`);
  }
  requireFiniteEntries(testArg, `${what} test`);
  const Mt = testArg.length / d;
  const bytes = 8 * Math.max(resultEntries(Mt), testArg.length);
  if (bytes > MAX_GRAM_BYTES) {
    throw new NntkError('E_TOO_LARGE', `the ${what} result would take ${(bytes / 2 ** 30).toFixed(1)} GiB; use fewer test points`);
  }
  return { test: testArg, Mt };
}

function prepareCross(dataArg: unknown, test: unknown, options: unknown, what: string) {
  const data = requireDataset(dataArg);
  if (!isPlainObject(options)) throw invalid('E_ARGUMENT', `${what} options`, 'an options object', options);
  requireKnownKeys(options, `${what} options`, ['activation', ...SETTING_KEYS]);
  const activation = options.activation === undefined ? 'tanh' : requireOneOf(options.activation, 'activation', ACTIVATIONS);
  const terms = limitTerms(options);
  const { test: values, Mt } = prepareTest(test, data, what, (rows) => (what === 'ntkCrossLimit' ? rows * data.size : rows));
  return { data, activation, test: values, Mt, terms };
}

/**
 * The limit cross kernel B*(x_test, x_train) (Mt x M, row-major: entry [t * M + m] pairs test row t with
 * training point m), normalized by 1/M like ntkGramLimit, so that it is the off-diagonal block of the Gram
 * of the union of both sets times M_union / M. `test` holds rows of data.inputDim values; data supplies
 * the training points (its targets are not used). The accuracy is that of ntkGramLimit at the largest |x|
 * of both sets. The argument order (data, test) is that of ntkCross(net, data, test). On a worker thread,
 * from copies; ntkCrossLimitSync blocks.
 */
export async function ntkCrossLimit(data: Dataset, test: Numbers, o: NtkCrossLimitOptions = {}): Promise<Float64Array> {
  const p = prepareCross(data, test, o, 'ntkCrossLimit');
  if (p.Mt === 0) return new Float64Array(0);
  return native().ntkCrossLimit(p.test, p.Mt, p.data.x, p.data.size, p.data.inputDim, p.activation, undefined, p.terms);
}
export function ntkCrossLimitSync(data: Dataset, test: Numbers, o: NtkCrossLimitOptions = {}): Float64Array {
  const p = prepareCross(data, test, o, 'ntkCrossLimit');
  if (p.Mt === 0) return new Float64Array(0);
  return native().ntkCrossLimitSync(p.test, p.Mt, p.data.x, p.data.size, p.data.inputDim, p.activation, undefined, p.terms);
}

/**
 * The limit kernel's test diagonal B*(x_t, x_t) (length Mt) with the factor 1/M of the M training points:
 * the diagonal of the Gram of the test points times Mt / M. data only supplies M and inputDim.
 * On a worker thread, from a copy; ntkDiagonalLimitSync blocks.
 */
export async function ntkDiagonalLimit(data: Dataset, test: Numbers, o: NtkDiagonalLimitOptions = {}): Promise<Float64Array> {
  const p = prepareCross(data, test, o, 'ntkDiagonalLimit');
  if (p.Mt === 0) return new Float64Array(0);
  return native().ntkDiagonalLimit(p.test, p.Mt, p.data.inputDim, p.data.size, p.activation, undefined, p.terms);
}
export function ntkDiagonalLimitSync(data: Dataset, test: Numbers, o: NtkDiagonalLimitOptions = {}): Float64Array {
  const p = prepareCross(data, test, o, 'ntkDiagonalLimit');
  if (p.Mt === 0) return new Float64Array(0);
  return native().ntkDiagonalLimitSync(p.test, p.Mt, p.data.inputDim, p.data.size, p.activation, undefined, p.terms);
}
