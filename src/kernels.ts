/**
 * Kernel Gram matrices (docs/MATH.md section 5), pure functions of a network and its data:
 *   ntkGram:  B = J J^T / M, streamed over neurons with DSYRK (no M x P Jacobian held);
 *   nntkGram: J (C + lambda I)^-1 J^T / M through the structured solver, never a P x P matrix
 *             (Gauss-Newton: B (B + lambda I)^-1, eigenvalues in (0, 1)).
 * Both run on a worker thread; the ...Sync twins block.
 */
import { type Dataset, nativeData, requireDataset } from './dataset.js';
import { NntkError } from './errors.js';
import { requireNet, state, type TwoLayerNet } from './model.js';
import { native, type NativeData, type NativeNet, type NativeStepRequest } from './native.js';
import { CURVATURES, type Curvature, prepareSystem, type Regularization } from './system.js';
import { invalid, requireFiniteArray } from './validate.js';

export interface NntkGramOptions {
  regularization: Regularization;
  curvature?: Curvature;
}

type NativeArgs = [NativeNet, NativeData, NativeStepRequest];

function ntkArgs(netArg: unknown, dataArg: unknown): NativeArgs {
  const net = requireNet(netArg);
  const data = requireDataset(dataArg);
  if (data.inputDim !== net.inputDim) {
    throw new NntkError('E_SHAPE', `the data have inputDim ${data.inputDim} but the network has inputDim ${net.inputDim}`);
  }
  return [state(net), nativeData(data), { curvature: 0, spectrum: 0, lambda: 0 }];
}

function nntkArgs(net: unknown, data: unknown, options: unknown): NativeArgs {
  const s = prepareSystem(net, data, options, 'nntkGram options', ['regularization', 'curvature']);
  return [state(s.net), nativeData(s.data), { curvature: CURVATURES.indexOf(s.curvature), spectrum: 1, lambda: s.lambda }];
}

/** The NTK Gram matrix B = J J^T / M (M x M, row-major). */
export async function ntkGram(net: TwoLayerNet, data: Dataset): Promise<Float64Array> {
  return native().ntkGram(...ntkArgs(net, data));
}
export function ntkGramSync(net: TwoLayerNet, data: Dataset): Float64Array {
  return native().ntkGramSync(...ntkArgs(net, data));
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
 * Eigen-decomposition of a symmetric n x n matrix given row-major (an M x M kernel), by LAPACK's
 * divide-and-conquer DSYEVD in the native core (native/core/symmetric_eigen.cpp): backward stable, so
 * V diag(values) V^T reproduces the matrix and V^T V = I to a small multiple of rounding. The matrix must
 * be symmetric up to rounding; its symmetric part (A + A^T) / 2 is decomposed. Each eigenvector's entry
 * of largest magnitude is positive. The input is not modified. Blocks (milliseconds for a few hundred rows).
 */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
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
