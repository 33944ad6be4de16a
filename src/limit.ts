/**
 * The infinite-width kernels of docs/MATH.md section 5 for the paper's initialization (section 1),
 * computed exactly (to ~1e-13 of max |B*|) by Gauss-Hermite quadrature in native/core/limit_kernel.cpp:
 *   ntkGramLimit:  B*(x, x') = (1/M) (E[sigma(z) sigma(z')] + (1/3)(x.x' + 1) E[sigma'(z) sigma'(z')]),
 *                  (z, z') centered normal with Var z = |x|^2 + 1, Var z' = |x'|^2 + 1, Cov = x.x' + 1;
 *                  it is lim N^(2 beta - 1) J J^T / M;
 *   nntkGramLimit: NNTK* = B* (B* + gamma I)^-1, eigenvalues mu / (mu + gamma) in (0, 1).
 * Both are M x M, row-major and symmetric, and depend only on the data and the activation. The node
 * count grows with max |x|^2; accuracy ~1e-13 of max |B*| holds up to max |x| ~ 7 for tanh (~10 for erf,
 * ~12 for the others) and degrades slowly beyond (tanh at |x| = 10: ~3e-9). Runs on setThreads() threads.
 * ntkGramLimit / nntkGramLimit return Promises and compute off the main thread; the ...Sync twins block.
 */
import { ACTIVATIONS, type Activation } from './activation.js';
import { type Dataset, requireDataset } from './dataset.js';
import { NntkError } from './errors.js';
import { native } from './native.js';
import { invalid, isPlainObject, requireKnownKeys, requireNumber, requireOneOf } from './validate.js';

export interface NtkGramLimitOptions {
  /** Default 'tanh'. */
  activation?: Activation;
}
export interface NntkGramLimitOptions {
  activation?: Activation;
  /** The width-free regularization gamma >= 0 (0 only when B* is positive definite). */
  gamma: number;
}

/** Limit Grams are M x M dense matrices; cap them like the other dense results (4 GiB). */
const MAX_GRAM_BYTES = 4 * 2 ** 30;

function prepare(dataArg: unknown, options: unknown, name: string, allowed: readonly string[]) {
  const data = requireDataset(dataArg);
  if (!isPlainObject(options)) throw invalid('E_ARGUMENT', name, 'an options object', options);
  requireKnownKeys(options, name, allowed);
  const activation = options.activation === undefined ? 'tanh' : requireOneOf(options.activation, 'activation', ACTIVATIONS);
  const bytes = 8 * data.size * data.size;
  if (bytes > MAX_GRAM_BYTES) {
    throw new NntkError('E_TOO_LARGE', `the ${data.size} x ${data.size} kernel would take ${(bytes / 2 ** 30).toFixed(1)} GiB; use fewer data points`);
  }
  return { data, activation, options };
}

/**
 * The limit NTK Gram B* = lim N^(2 beta - 1) J J^T / M (M x M, row-major). Computed on a worker thread
 * (from a copy of the inputs); it takes from ~0.2 s for the Figure 3 data to tens of seconds for a few
 * hundred points spread over [-7, 7]. ntkGramLimitSync blocks instead.
 */
export async function ntkGramLimit(data: Dataset, o: NtkGramLimitOptions = {}): Promise<Float64Array> {
  const p = prepare(data, o, 'ntkGramLimit options', ['activation']);
  return native().ntkGramLimit(p.data.x, p.data.size, p.data.inputDim, p.activation);
}
export function ntkGramLimitSync(data: Dataset, o: NtkGramLimitOptions = {}): Float64Array {
  const p = prepare(data, o, 'ntkGramLimit options', ['activation']);
  return native().ntkGramLimitSync(p.data.x, p.data.size, p.data.inputDim, p.activation);
}

/**
 * The limit Newton NTK NNTK* = B* (B* + gamma I)^-1 (M x M, row-major, symmetric), on a worker thread
 * like ntkGramLimit; nntkGramLimitSync blocks. Rejects (throws, for the Sync twin) E_SINGULAR when
 * B* + gamma I is singular to working precision (gamma = 0 with singular B*, or gamma too small).
 */
export async function nntkGramLimit(data: Dataset, o: NntkGramLimitOptions): Promise<Float64Array> {
  const p = prepare(data, o, 'nntkGramLimit options', ['activation', 'gamma']);
  const gamma = requireNumber(p.options.gamma, 'gamma', { min: 0 });
  return native().nntkGramLimit(p.data.x, p.data.size, p.data.inputDim, p.activation, gamma);
}
export function nntkGramLimitSync(data: Dataset, o: NntkGramLimitOptions): Float64Array {
  const p = prepare(data, o, 'nntkGramLimit options', ['activation', 'gamma']);
  const gamma = requireNumber(p.options.gamma, 'gamma', { min: 0 });
  return native().nntkGramLimitSync(p.data.x, p.data.size, p.data.inputDim, p.activation, gamma);
}
