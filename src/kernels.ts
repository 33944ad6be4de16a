/**
 * Kernel Gram matrices (docs/MATH.md section 5), pure functions of a network and its data:
 *   ntkGram:  B = J J^T / M, streamed over neurons with DSYRK (no M x P Jacobian held);
 *   nntkGram: J (C + lambda I)^-1 J^T / M through the structured solver, never a P x P matrix
 *             (Gauss-Newton: B (B + lambda I)^-1, eigenvalues in (0, 1)).
 * With a loss other than the square one (loss.ts), both are weighted by H = diag(l'')^1/2 from both sides:
 * H B H, the M x M twin of J^T diag(l'') J / M, and H J (C + lambda I)^-1 J^T H / M with C the loss's curvature.
 * Both run on a worker thread; the ...Sync twins block.
 */
import type { Numbers } from './contract.js';
import type { Dataset } from './dataset.js';
import { memoryLimit, requireFits } from './memory.js';
import type { TwoLayerNet } from './model.js';
import { native, type NativeData, type NativeNet, type NativeStepRequest } from './native.js';
import { type Curvature, nativeRequest, options, problem, type Regularization, systemRequest } from './request.js';
import { NntkError } from './errors.js';
import { invalid, requireFiniteArray } from './validate.js';
import { LOSS_KEYS, type LossOptions, lossData, resolveLoss } from './loss.js';

export interface NtkGramOptions extends LossOptions {
  /** Cap on the M x M result and the scratch of the streamed sum (default 4 GiB). */
  memoryLimitBytes?: number;
}

export interface NntkGramOptions extends LossOptions {
  /** { gamma } or { lambda }, as in StepOptions. No default. */
  regularization: Regularization;
  /** The curvature C of J (C + lambda I)^-1 J^T / M: 'newton' (default) or 'gauss-newton'. */
  curvature?: Curvature;
  /** Cap on every large buffer (default 4 GiB), the structured solver's included. */
  memoryLimitBytes?: number;
}

type NativeArgs = [NativeNet, NativeData, NativeStepRequest];

const GRAM_HINT = 'use fewer data points';

function ntkArgs(netArg: unknown, dataArg: unknown, value: unknown): NativeArgs {
  const p = problem(netArg, dataArg);
  const o = options(value, 'ntkGram options', ['memoryLimitBytes', ...LOSS_KEYS], '{ memoryLimitBytes?, loss? }');
  const memoryLimitBytes = memoryLimit(o.memoryLimitBytes);
  requireFits(8 * p.data.size ** 2, memoryLimitBytes, `the ${p.data.size} x ${p.data.size} kernel`, GRAM_HINT);
  const data = lossData(p.data, resolveLoss(o));
  return [p.nativeNet, data, { curvature: 'gauss-newton', spectrum: 'none', lambda: 0, memoryLimitBytes }];
}

function nntkArgs(net: unknown, data: unknown, value: unknown): NativeArgs {
  const s = systemRequest(net, data, value, 'nntkGram options', ['regularization', 'curvature', 'memoryLimitBytes', ...LOSS_KEYS]);
  requireFits(8 * s.data.size ** 2, s.memoryLimitBytes, `the ${s.data.size} x ${s.data.size} kernel`, GRAM_HINT);
  return [s.nativeNet, s.nativeData, nativeRequest(s, 'inertia')];
}

/** The NTK Gram matrix B = J J^T / M (M x M, row-major). */
export async function ntkGram(net: TwoLayerNet, data: Dataset, o: NtkGramOptions = {}): Promise<Float64Array> {
  return native().ntkGram(...ntkArgs(net, data, o));
}
export function ntkGramSync(net: TwoLayerNet, data: Dataset, o: NtkGramOptions = {}): Float64Array {
  return native().ntkGramSync(...ntkArgs(net, data, o));
}

/** The Newton NTK J (C + lambda I)^-1 J^T / M (M x M, row-major, symmetric). */
export async function nntkGram(net: TwoLayerNet, data: Dataset, o: NntkGramOptions): Promise<Float64Array> {
  return native().nntkGram(...nntkArgs(net, data, o));
}
export function nntkGramSync(net: TwoLayerNet, data: Dataset, o: NntkGramOptions): Float64Array {
  return native().nntkGramSync(...nntkArgs(net, data, o));
}

export interface SymmetricEigen {
  /** Ascending. */
  readonly values: Float64Array;
  /** n x n row-major; column k is the unit eigenvector of values[k]. */
  readonly vectors: Float64Array;
}

/**
 * Eigen-decomposition of a symmetric n x n matrix given row-major (an M x M kernel), by LAPACK's
 * divide-and-conquer DSYEVD in the native core (native/core/symmetric_eigen.cpp): backward stable, so
 * V diag(values) V^T reproduces the matrix and V^T V = I to a small multiple of rounding. The matrix must
 * be symmetric up to rounding; its symmetric part (A + A^T) / 2 is decomposed. Each eigenvector's entry
 * of largest magnitude is positive. The input is not modified. Blocks (milliseconds for a few hundred rows).
 */
export function symmetricEigen(matrix: Numbers, n: number): SymmetricEigen {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw invalid('E_ARGUMENT', 'n', 'a positive integer', n);
  const A = requireFiniteArray(matrix, 'matrix', n * n);
  let maxAbs = 0;
  for (let k = 0; k < n * n; k++) maxAbs = Math.max(maxAbs, Math.abs(A[k] as number));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = A[i * n + j] as number;
      const b = A[j * n + i] as number;
      // Rounding level: relative to the pair itself or to the largest entry (a tiny entry left by cancellation).
      if (Math.abs(a - b) > 1e-12 * (Math.abs(a) + Math.abs(b) + maxAbs)) {
        throw new NntkError(
          'E_ARGUMENT',
          `matrix is not symmetric: entry (${i}, ${j}) is ${a} but (${j}, ${i}) is ${b}; pass a symmetric matrix such as (A + A^T) / 2`,
        );
      }
    }
  }
  return native().symmetricEigen(A, n);
}
