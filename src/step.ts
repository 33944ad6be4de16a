/**
 * One exact regularized Newton or Gauss-Newton step (docs/MATH.md section 3):
 *   step = -(C + lambda I)^-1 grad L,  C = hess L (Newton) or J^T J / M (Gauss-Newton),
 * with the inertia and, on request, extremal or all eigenvalues of C + lambda I. Two exact solvers:
 * 'dense' factors the P x P matrix (MATH.md section 4, dense route); 'structured' uses the
 * block-diagonal-plus-rank-M structure (Woodbury, O(M^2 P)); 'auto' picks by a cost model.
 */
import { type Dataset, nativeData } from './dataset.js';
import { NntkError } from './errors.js';
import { denseFits, requireDenseFits, state, type TwoLayerNet } from './model.js';
import { native, type NativeStepOutcome, type NativeStepRequest, type StepReport } from './native.js';
import { type NetParameters, splitParameters } from './parameters.js';
import { chooseSolver } from './solver-choice.js';
import { CURVATURES, type Curvature, prepareSystem, type Regularization } from './system.js';
import { requireOneOf } from './validate.js';

export type { Inertia, StepReport, StepTimings } from './native.js';
export type { Curvature, Regularization } from './system.js';

export type Solver = 'auto' | 'dense' | 'structured';
export type Spectrum = 'none' | 'inertia' | 'extremal' | 'full';

export interface StepOptions {
  regularization: Regularization;
  curvature?: Curvature;
  solver?: Solver;
  spectrum?: Spectrum;
  /** Cap on the dense P x P matrix in bytes (default 4 GiB); 'auto' turns to the structured solver past it. */
  memoryLimitBytes?: number;
}

export interface StepResult extends StepReport {
  /** Add to the parameters: step = -(C + lambda I)^-1 grad L. */
  step: NetParameters;
  /** The absolute regularization used. */
  lambda: number;
}

const SOLVERS = ['auto', 'dense', 'structured'] as const;
const SPECTRA = ['none', 'inertia', 'extremal', 'full'] as const;

interface PreparedStep {
  net: TwoLayerNet;
  data: Dataset;
  solver: 'dense' | 'structured';
  request: NativeStepRequest;
}

function prepare(netArg: unknown, dataArg: unknown, options: unknown): PreparedStep {
  const { net, data, options: o, lambda, curvature } = prepareSystem(netArg, dataArg, options, 'step options', [
    'regularization',
    'curvature',
    'solver',
    'spectrum',
    'memoryLimitBytes',
  ]);
  const requested = requireOneOf(o.solver ?? 'auto', 'solver', SOLVERS);
  const spectrum = requireOneOf(o.spectrum ?? 'inertia', 'spectrum', SPECTRA);
  if (requested === 'structured' && spectrum === 'full') {
    throw new NntkError(
      'E_UNSUPPORTED',
      "spectrum 'full' needs every eigenvalue of a P x P matrix; use solver 'dense' (or 'auto'), or spectrum 'extremal'",
    );
  }
  let solver: 'dense' | 'structured';
  if (requested === 'auto') {
    const fits = denseFits(net.parameterCount, o.memoryLimitBytes);
    solver = chooseSolver(net.parameterCount, data.size, net.width, spectrum, fits).solver;
  } else {
    solver = requested;
  }
  if (solver === 'dense') requireDenseFits(net.parameterCount, o.memoryLimitBytes);
  return {
    net,
    data,
    solver,
    request: { curvature: CURVATURES.indexOf(curvature), spectrum: SPECTRA.indexOf(spectrum), lambda },
  };
}

function toResult(p: PreparedStep, out: NativeStepOutcome): StepResult {
  const { step, ...rest } = out;
  return { ...rest, step: splitParameters(step, p.net.width, p.net.inputDim), lambda: p.request.lambda };
}

/** One exact step, computed on a worker thread (the inputs are copied first, so they may change meanwhile). */
export async function newtonStep(net: TwoLayerNet, data: Dataset, o: StepOptions): Promise<StepResult> {
  const p = prepare(net, data, o);
  const addon = native();
  const run = p.solver === 'dense' ? addon.denseStep : addon.structuredStep;
  return toResult(p, await run(state(p.net), nativeData(p.data), p.request));
}

/** The blocking twin of newtonStep. */
export function newtonStepSync(net: TwoLayerNet, data: Dataset, o: StepOptions): StepResult {
  const p = prepare(net, data, o);
  const addon = native();
  const run = p.solver === 'dense' ? addon.denseStepSync : addon.structuredStepSync;
  return toResult(p, run(state(p.net), nativeData(p.data), p.request));
}
