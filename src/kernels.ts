/**
 * Kernel Gram matrices (docs/MATH.md section 5), pure functions of a network and its data:
 *   ntkGram:  B = J J^T / M, streamed over neurons with DSYRK (no M x P Jacobian held);
 *   nntkGram: J (C + lambda I)^-1 J^T / M through the structured solver, never a P x P matrix
 *             (Gauss-Newton: B (B + lambda I)^-1, eigenvalues in (0, 1)).
 * Both run on a worker thread; the ...Sync twins block.
 */
import type { Dataset } from './dataset.js';
import { memoryLimit, requireFits } from './memory.js';
import type { TwoLayerNet } from './model.js';
import { native, type NativeData, type NativeNet, type NativeStepRequest } from './native.js';
import { type Curvature, nativeRequest, options, problem, type Regularization, systemRequest } from './request.js';
import { NntkError } from './errors.js';
import { invalid, requireFiniteArray } from './validate.js';

export interface NtkGramOptions {
  /** Cap on the M x M result and the scratch of the streamed sum (default 4 GiB). */
  memoryLimitBytes?: number;
}

export interface NntkGramOptions {
  regularization: Regularization;
  curvature?: Curvature;
  /** Cap on every large buffer (default 4 GiB), the structured solver's included. */
  memoryLimitBytes?: number;
}

type NativeArgs = [NativeNet, NativeData, NativeStepRequest];

const GRAM_HINT = 'use fewer data points';

function ntkArgs(netArg: unknown, dataArg: unknown, value: unknown): NativeArgs {
  const p = problem(netArg, dataArg);
  const o = options(value, 'ntkGram options', ['memoryLimitBytes'], '{ memoryLimitBytes? }');
  const memoryLimitBytes = memoryLimit(o.memoryLimitBytes);
  requireFits(8 * p.data.size ** 2, memoryLimitBytes, `the ${p.data.size} x ${p.data.size} kernel`, GRAM_HINT);
  return [p.nativeNet, p.nativeData, { curvature: 'gauss-newton', spectrum: 'none', lambda: 0, memoryLimitBytes }];
}

function nntkArgs(net: unknown, data: unknown, value: unknown): NativeArgs {
  const s = systemRequest(net, data, value, 'nntkGram options', ['regularization', 'curvature', 'memoryLimitBytes']);
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
  values: Float64Array;
  /** n x n row-major; column k is the unit eigenvector of values[k]. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of a symmetric n x n matrix given row-major (an M x M kernel), by cyclic Jacobi
 * rotations in TypeScript: accurate to rounding and fast for the kernel sizes of the paper (M <= a few
 * hundred). The input is not modified.
 */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw invalid('E_ARGUMENT', 'n', 'a positive integer', n);
  const A = Float64Array.from(requireFiniteArray(matrix, 'matrix', n * n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = A[i * n + j] as number;
      const b = A[j * n + i] as number;
      if (Math.abs(a - b) > 1e-12 * (Math.abs(a) + Math.abs(b)) + 1e-300) {
        throw new NntkError('E_ARGUMENT', `matrix is not symmetric: entry (${i}, ${j}) is ${a} but (${j}, ${i}) is ${b}`);
      }
    }
  }
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += (A[p * n + p] as number) ** 2;
      for (let q = p + 1; q < n; q++) off += (A[p * n + q] as number) ** 2;
    }
    if (off <= 1e-36 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q] as number;
        if (apq === 0) continue;
        // Rutishauser's stable rotation (Golub & Van Loan, section 8.5).
        const theta = ((A[q * n + q] as number) - (A[p * n + p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p] as number;
          const akq = A[k * n + q] as number;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k] as number;
          const aqk = A[q * n + k] as number;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        A[p * n + q] = 0;
        A[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p] as number;
          const vkq = V[k * n + q] as number;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => (A[a * n + a] as number) - (A[b * n + b] as number));
  const values = Float64Array.from(order, (k) => A[k * n + k] as number);
  const vectors = new Float64Array(n * n);
  order.forEach((k, col) => {
    for (let i = 0; i < n; i++) vectors[i * n + col] = V[i * n + k] as number;
  });
  return { values, vectors };
}
