/**
 * The linear system behind every second-order call: a network, its data, the curvature C and the
 * regularization lambda of C + lambda I (docs/MATH.md section 3), validated once for all callers.
 */
import { type Dataset, requireDataset } from './dataset.js';
import { NntkError } from './errors.js';
import { requireNet, type TwoLayerNet } from './model.js';
import { invalid, isPlainObject, requireKnownKeys, requireNumber, requireObject, requireOneOf } from './validate.js';

/** gamma is the width-free knob (lambda = gamma * N^(1 - 2 beta), MATH.md section 3); lambda is absolute. */
export type Regularization = { gamma: number } | { lambda: number };
export type Curvature = 'newton' | 'gauss-newton';
export const CURVATURES = ['newton', 'gauss-newton'] as const;

/** lambda_N = gamma * N^(1 - 2 beta) (MATH.md section 3), or the absolute lambda as given. */
export function resolveLambda(regularization: unknown, width: number, beta: number): number {
  const r = requireObject(regularization, 'regularization');
  const hasGamma = 'gamma' in r;
  const hasLambda = 'lambda' in r;
  if (hasGamma === hasLambda || Object.keys(r).length !== 1) {
    throw invalid('E_ARGUMENT', 'regularization', 'exactly one of { gamma } or { lambda }', regularization);
  }
  if (hasGamma) return requireNumber(r.gamma, 'regularization.gamma', { min: 0 }) * width ** (1 - 2 * beta);
  return requireNumber(r.lambda, 'regularization.lambda', { min: 0 });
}

export interface System {
  net: TwoLayerNet;
  data: Dataset;
  options: Record<string, unknown>;
  lambda: number;
  curvature: Curvature;
}

/** Checks the network, the data and the options object (whose allowed keys the caller names). */
export function prepareSystem(net: unknown, data: unknown, options: unknown, what: string, keys: readonly string[]): System {
  const n = requireNet(net);
  const d = requireDataset(data);
  if (d.inputDim !== n.inputDim) {
    throw new NntkError('E_SHAPE', `the data have inputDim ${d.inputDim} but the network has inputDim ${n.inputDim}`);
  }
  if (!isPlainObject(options)) throw invalid('E_ARGUMENT', what, 'an object { regularization, ... }', options);
  requireKnownKeys(options, what, keys);
  return {
    net: n,
    data: d,
    options,
    lambda: resolveLambda(options.regularization, n.width, n.beta),
    curvature: requireOneOf(options.curvature ?? 'newton', 'curvature', CURVATURES),
  };
}
