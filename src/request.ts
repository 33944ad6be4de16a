/**
 * The request layer: every operation on (network, data, options) validates here, once, and hands a
 * typed request down to the addon. It checks that the network and the data agree, resolves the
 * regularization (docs/MATH.md section 3), the curvature, the solver and the memory cap, so that no
 * check is repeated per operation.
 */
import { CURVATURES, type CurvatureName, SPECTRA, type SpectrumName } from './contract.js';
import { type Dataset, nativeData, requireDataset } from './dataset.js';
import { NntkError } from './errors.js';
import { requireNet, state, type TwoLayerNet } from './model.js';
import type { NativeData, NativeNet, NativeStepRequest } from './native.js';
import { denseFits, memoryLimit, primalFits, requireDenseFits, requirePrimalFits } from './memory.js';
import { chooseSolver } from './solver-choice.js';
import { lossData, resolveLoss, type ResolvedLoss } from './loss.js';
import { invalid, isPlainObject, requireInteger, requireKnownKeys, requireNumber, requireObject, requireOneOf } from './validate.js';

/** gamma is the width-free knob (lambda = gamma * N^(1 - 2 beta), MATH.md section 3); lambda is absolute. */
export type Regularization = { gamma: number } | { lambda: number };
export type Curvature = CurvatureName;

/** A network and a data set that agree, with the views the addon reads. */
export interface Problem {
  net: TwoLayerNet;
  data: Dataset;
  nativeNet: NativeNet;
  nativeData: NativeData;
}

export function problem(netArg: unknown, dataArg: unknown, dataName = 'data'): Problem {
  const net = requireNet(netArg);
  const data = requireDataset(dataArg, dataName);
  if (data.inputDim !== net.inputDim) {
    throw new NntkError('E_SHAPE', `the data have inputDim ${data.inputDim} but the network has inputDim ${net.inputDim}`);
  }
  return { net, data, nativeNet: state(net), nativeData: nativeData(data) };
}

/** An options object whose keys are all in `keys` (a misspelt option is an error, not a silent default). */
export function options(value: unknown, what: string, keys: readonly string[], shape = '{ ... }'): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid('E_ARGUMENT', what, `an object ${shape}`, value);
  requireKnownKeys(value, what, keys);
  return value;
}

/** lambda_N = gamma * N^(1 - 2 beta) (MATH.md section 3), or the absolute lambda as given. */
export function resolveLambda(regularization: unknown, width: unknown, beta: unknown): number {
  const r = requireObject(regularization, 'regularization');
  const hasGamma = Object.hasOwn(r, 'gamma');
  const hasLambda = Object.hasOwn(r, 'lambda');
  if (hasGamma === hasLambda || Object.keys(r).length !== 1) {
    throw invalid('E_ARGUMENT', 'regularization', 'exactly one of { gamma } or { lambda }', regularization);
  }
  if (!hasGamma) return requireNumber(r.lambda, 'regularization.lambda', { min: 0 });
  const gamma = requireNumber(r.gamma, 'regularization.gamma', { min: 0 });
  const n = requireInteger(width, 'width', 1);
  const b = requireNumber(beta, 'beta', { min: 0, max: 1 });
  const lambda = gamma * n ** (1 - 2 * b);
  if (!Number.isFinite(lambda)) {
    throw new NntkError('E_NONFINITE', `gamma * width^(1 - 2 beta) = ${gamma} * ${n}^${1 - 2 * b} overflows; give a smaller gamma`);
  }
  return lambda;
}

/** A second-order request: the problem, the regularization and curvature, and the memory cap. */
export interface SystemRequest extends Problem {
  options: Record<string, unknown>;
  lambda: number;
  curvature: Curvature;
  memoryLimitBytes: number;
  /** The loss (square unless the caller allows the keys of loss.ts and the options name one). */
  loss: ResolvedLoss;
}

/** Checks the network, the data and the options object (whose allowed keys the caller names). */
export function systemRequest(net: unknown, data: unknown, value: unknown, what: string, keys: readonly string[]): SystemRequest {
  const p = problem(net, data);
  const o = options(value, what, keys, '{ regularization, ... }');
  const loss = resolveLoss(o);
  return {
    ...p,
    nativeData: lossData(p.data, loss),
    loss,
    options: o,
    lambda: resolveLambda(o.regularization, p.net.width, p.net.beta),
    curvature: requireOneOf(o.curvature ?? 'newton', 'curvature', CURVATURES),
    memoryLimitBytes: memoryLimit(o.memoryLimitBytes),
  };
}

/** The native request of a system, with the spectral output asked for. */
export function nativeRequest(s: SystemRequest, spectrum: SpectrumName): NativeStepRequest {
  return { curvature: s.curvature, spectrum: requireOneOf(spectrum, 'spectrum', SPECTRA), lambda: s.lambda, memoryLimitBytes: s.memoryLimitBytes };
}

/** The solver paths a request can take. */
export type SolverPath = 'dense' | 'structured' | 'primal';

/**
 * The solver path for a request: 'auto' follows the cost model and rule of solver-choice.ts. 'primal' is
 * Gauss-Newton only. `lambda` sizes the primal solver's memory (the largest lambda of a run; any positive
 * value means the (M + P) x P augmented system).
 */
export function resolveSolver(
  s: Problem & { memoryLimitBytes: number; curvature?: Curvature; lambda?: number },
  requested: 'auto' | SolverPath,
  spectrum: SpectrumName,
): SolverPath {
  const P = s.net.trainableCount;  // the system's size P' (docs/MATH.md section 1.2)
  const M = s.data.size;
  const curvature = s.curvature ?? 'newton';
  if (requested === 'structured' && spectrum === 'full') {
    throw new NntkError(
      'E_UNSUPPORTED',
      "spectrum 'full' needs every eigenvalue of a P x P matrix; use solver 'dense' (or 'auto'), or spectrum 'extremal'",
    );
  }
  if (requested === 'primal' && curvature !== 'gauss-newton') {
    throw new NntkError(
      'E_ARGUMENT',
      "solver 'primal' computes Gauss-Newton steps only; use curvature (or method) 'gauss-newton', or solver 'dense' or 'structured'",
    );
  }
  const lambda = s.lambda ?? 1;
  const spectra = spectrum === 'extremal' || spectrum === 'full';
  const fits = denseFits(P, s.memoryLimitBytes);
  const solver = requested === 'auto'
    ? chooseSolver(P, M, s.net.width, spectrum, fits, { curvature, primalFits: primalFits(M, P, lambda, spectra, s.memoryLimitBytes) }).solver
    : requested;
  if (solver === 'dense') requireDenseFits(P, s.memoryLimitBytes);
  if (solver === 'primal') requirePrimalFits(M, P, lambda, spectra, s.memoryLimitBytes);
  return solver;
}
