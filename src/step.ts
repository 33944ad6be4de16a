/**
 * One exact regularized Newton or Gauss-Newton step (docs/MATH.md section 3):
 *   step = -(C + lambda I)^-1 grad L,  C = hess L (Newton) or J^T diag(l'') J / M (Gauss-Newton; l'' = 1 for
 *   the square loss, loss.ts),
 * with the inertia and, on request, extremal or all eigenvalues of C + lambda I. Two exact solvers:
 * 'dense' factors the P x P matrix (MATH.md section 4, dense route); 'structured' uses the
 * block-diagonal-plus-rank-M structure (Woodbury, O(M^2 P)); 'primal' (Gauss-Newton only, for P < M)
 * solves the least-squares form by QR of J (MATH.md section 4.1, O(M P^2), lambda may be 0); 'auto' picks
 * by a cost model (solver-choice.ts).
 */
import type { Dataset } from './dataset.js';
import type { TwoLayerNet } from './model.js';
import { native, type NativeStepOutcome, type NativeStepRequest, type StepReport } from './native.js';
import { type NetParameters, splitParameters } from './parameters.js';
import { type Curvature, nativeRequest, type Problem, type Regularization, resolveSolver, type SolverPath, systemRequest } from './request.js';
import { requireOneOf } from './validate.js';
import { LOSS_KEYS, type LossOptions } from './loss.js';

export type { Inertia, StepReport, StepTimings } from './native.js';
export type { Curvature, Regularization } from './request.js';

export type Solver = 'auto' | 'dense' | 'structured' | 'primal';
export type Spectrum = 'none' | 'inertia' | 'extremal' | 'full';

export interface StepOptions extends LossOptions {
  /** { gamma } (lambda = gamma * N^(1 - 2 beta), width-free; docs/MATH.md section 3) or { lambda } (absolute). No default. */
  regularization: Regularization;
  /** 'newton' (the exact Hessian) or 'gauss-newton' (J^T diag(l'') J / M). Default 'newton'. */
  curvature?: Curvature;
  /**
   * 'dense' (P x P, LAPACK), 'structured' (O(M^2 P), width-linear), 'primal' (Gauss-Newton only, QR of J) or
   * 'auto' (default: the cheaper path by the cost model of chooseSolver).
   */
  solver?: Solver;
  /** What to report of C + lambda I: 'none', 'inertia' (default), 'extremal' (adds the extreme eigenvalues) or 'full' (dense only: every eigenvalue). */
  spectrum?: Spectrum;
  /** Cap on every large buffer in bytes (default 4 GiB): the dense P x P matrix, whose size makes 'auto' turn to the structured solver past it, and the structured solver's caches and scratch. */
  memoryLimitBytes?: number;
}

export interface StepResult extends StepReport {
  /**
   * Add to the parameters: step = -(C + lambda I)^-1 grad L in the trainable coordinates, zeros in the frozen
   * groups (docs/MATH.md section 1.2), so net.withStep(step) keeps them bit for bit.
   */
  readonly step: NetParameters;
  /** The absolute regularization used. */
  readonly lambda: number;
}

const SOLVERS = ['auto', 'dense', 'structured', 'primal'] as const;
const SPECTRA = ['none', 'inertia', 'extremal', 'full'] as const;
const KEYS = ['regularization', 'curvature', 'solver', 'spectrum', 'memoryLimitBytes', ...LOSS_KEYS] as const;

interface PreparedStep extends Problem {
  solver: SolverPath;
  request: NativeStepRequest;
}

function prepare(netArg: unknown, dataArg: unknown, options: unknown): PreparedStep {
  const s = systemRequest(netArg, dataArg, options, 'step options', KEYS);
  const spectrum = requireOneOf(s.options.spectrum ?? 'inertia', 'spectrum', SPECTRA);
  const solver = resolveSolver(s, requireOneOf(s.options.solver ?? 'auto', 'solver', SOLVERS), spectrum);
  return { ...s, solver, request: nativeRequest(s, spectrum) };
}

function toResult(p: PreparedStep, out: NativeStepOutcome): StepResult {
  const { step, ...rest } = out;
  return { ...rest, step: splitParameters(step, p.net.width, p.net.inputDim, p.net.trainable), lambda: p.request.lambda };
}

/** One exact step, computed on a worker thread (the inputs are copied first, so they may change meanwhile). */
export async function newtonStep(net: TwoLayerNet, data: Dataset, o: StepOptions): Promise<StepResult> {
  const p = prepare(net, data, o);
  const addon = native();
  const run = { dense: addon.denseStep, structured: addon.structuredStep, primal: addon.primalStep }[p.solver];
  return toResult(p, await run(p.nativeNet, p.nativeData, p.request));
}

/** The blocking twin of newtonStep. */
export function newtonStepSync(net: TwoLayerNet, data: Dataset, o: StepOptions): StepResult {
  const p = prepare(net, data, o);
  const addon = native();
  const run = { dense: addon.denseStepSync, structured: addon.structuredStepSync, primal: addon.primalStepSync }[p.solver];
  return toResult(p, run(p.nativeNet, p.nativeData, p.request));
}
