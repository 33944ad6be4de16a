/**
 * train(): regularized Newton and Gauss-Newton with exact solves, gradient descent and Adam
 * (docs/MATH.md sections 3 and 6), as a minimizer in the manner of Ceres Solver. The loop runs in native
 * code on a worker thread and streams one StepRecord per iteration (or per iteration of a thinned
 * schedule, `record`), each with its tries, gain ratio, cost change and solve timings; it stops on
 * iterations, targetLoss, timeLimitSeconds, an AbortSignal (between the tries of an iteration too),
 * divergence, a damping rule that cannot make progress ('stalled') or a numerical failure of a solve
 * ('failed', with the error in the run and the history kept). The run carries a summary with a brief
 * and a full text report, and can be resumed from its last network and state.
 */
import { type Basis, Dataset } from './dataset.js';
import { NntkError, type NntkErrorCode } from './errors.js';
import { ntkGram, symmetricEigen } from './kernels.js';
import { memoryLimit } from './memory.js';
import { state, TwoLayerNet, withParameters } from './model.js';
import { DAMPINGS, METHODS, type SolverKind, TERMINATIONS } from './contract.js';
import { native } from './native.js';
import { options as readOptions, problem as problemOf, type Regularization, resolveLambda, resolveSolver } from './request.js';
import type { Inertia, StepTimings } from './native.js';
import { LOSS_KEYS, type LossOptions, lossData, resolveLoss, type ResolvedLoss } from './loss.js';
import { describe, invalid, isAbortSignal, isFloat64Array, isPlainObject, requireInteger, requireKnownKeys, requireNumber, requireOneOf } from './validate.js';

// The names of the native enums live in the contract (src/contract.ts; a new damping rule adds its name there).
export { DAMPINGS, METHODS, TERMINATIONS };
const SOLVERS = ['auto', 'dense', 'structured', 'primal'] as const;
const SPECTRA = ['none', 'inertia', 'extremal'] as const;

export type Method = (typeof METHODS)[number];
export type Damping = (typeof DAMPINGS)[number];
/**
 * Why a run stopped: 'iterations' (the count was reached), 'targetLoss', 'timeLimit', 'aborted' (the
 * signal), 'diverged' (a non-finite loss), 'stalled' (the damping rule cannot make progress: see
 * TrainOptions.damping), 'failed' (a solve failed numerically: TrainingRun.error).
 */
export type Termination = (typeof TERMINATIONS)[number];

/** Seconds spent in one iteration's solves (summed over its tries), candidate evaluations and damping rule. */
export interface IterationTimings extends StepTimings {
  /** Evaluating the loss at the tried parameters. */
  readonly candidates: number;
  /** The damping rule's own work ('curvature-aware': lambda_min(B_t)). */
  readonly damping: number;
}

/** The methods that solve a regularized linear system each iteration (the others are first-order). */
export type SecondOrderMethod = Extract<Method, 'newton' | 'gauss-newton'>;
export type FirstOrderMethod = Extract<Method, 'gd' | 'adam'>;

/** What every record has, whatever the method (StepRecord narrows on `method`). */
export interface StepRecordBase {
  /** The run's method: the discriminant of StepRecord (`if (r.method === 'newton') r.lambda ...`). */
  readonly method: Method;
  /** 0 is the state before the first iteration; record t describes the network after t iterations. */
  readonly iteration: number;
  readonly loss: number;
  /** Seconds since the start of the run (resumed runs continue the count). */
  readonly seconds: number;
  /** The loss before this iteration minus the loss after it (0 for an iteration without a step); absent in record 0. */
  readonly costChange?: number;
  /** |step| of this iteration (0 without a step); absent in record 0. */
  readonly stepNorm?: number;
  /** max_i |(dw_i, db_i, dc_i)|: the paper's Lemma 9 quantity; absent in record 0. */
  readonly maxNeuronUpdate?: number;
  /** |grad L| at the start of this iteration; absent in record 0. */
  readonly gradientNorm?: number;
  /** Logistic loss: the fraction of training points with y f > 0 (the sign of f classifies). */
  readonly accuracy?: number;
  /** |coefficient error| on the data set's basis (least squares), when diagnostics ask for it. */
  readonly components?: Float64Array;
  /**
   * |coefficient error| on the eigenvectors of the initial NTK Gram, largest eigenvalue first. Like `components`,
   * NaN in the last record of a run that diverged (its residual is no longer finite).
   */
  readonly ntkModes?: Float64Array;
}

/** A record of 'newton' or 'gauss-newton': the regularization, the tries and the solve of the iteration. */
export interface SecondOrderStepRecord extends StepRecordBase {
  readonly method: SecondOrderMethod;
  /** The regularization of the last try (record 0: the starting lambda). */
  readonly lambda: number;
  /** Whether a step was taken (record 0: false). */
  readonly accepted: boolean;
  /** The index of the last try (0 when the first try was kept). */
  readonly retries: number;
  /** How many tries of this iteration were rejected (retries, plus one if no step was taken); absent in record 0. */
  readonly rejectedTries?: number;
  /**
   * The gain ratio rho = (actual decrease) / (decrease predicted by the quadratic model) of the last try
   * (docs/MATH.md section 3). Absent when the try was not evaluated (indefinite) or the model predicted no decrease.
   */
  readonly gainRatio?: number;
  /** Where this iteration's time went, summed over its tries; absent in record 0. */
  readonly timings?: IterationTimings;
  /** Of C + lambda I at the last try (spectrum 'inertia' or 'extremal'). */
  readonly inertia?: Inertia;
  /** Of C + lambda I at the last try (spectrum 'extremal'). */
  readonly minEigenvalue?: number;
  readonly maxEigenvalue?: number;
}

/** A record of 'gd' or 'adam'. */
export interface FirstOrderStepRecord extends StepRecordBase {
  readonly method: FirstOrderMethod;
}

/** One record of a run's history, discriminated by `method`. */
export type StepRecord = SecondOrderStepRecord | FirstOrderStepRecord;
/** The records of a run of method M. */
export type StepRecordOf<M extends Method> = M extends SecondOrderMethod ? SecondOrderStepRecord : FirstOrderStepRecord;

/** What a resumed run continues from. */
export interface TrainState {
  /** The method the state belongs to. */
  readonly method: Method;
  readonly iteration: number;
  readonly seconds: number;
  readonly lambda: number;
  readonly nu: number;
  /** Adam's moments, one entry per parameter (flat, neuron-major). */
  readonly adamM?: Float64Array;
  readonly adamV?: Float64Array;
}

/**
 * A TrainState as `resume` accepts it: `method` may be absent (states written before it was recorded),
 * and a state that went through JSON may carry adamM and adamV as plain number arrays (write them with
 * Array.from: JSON.stringify writes a Float64Array as an object of indices, which is refused).
 */
export type ResumeState = Omit<TrainState, 'method' | 'adamM' | 'adamV'> & {
  method?: Method;
  adamM?: Float64Array | number[];
  adamV?: Float64Array | number[];
};

/** A run as a whole, like Ceres' Solver::Summary. Cost is the loss L = |f - y|^2 / (2M). */
export interface TrainingSummary {
  /** One line: method, damping, solver, iterations, steps, initial and final cost, termination, time. */
  readonly brief: string;
  /** A table, one quantity a line, with the time split. */
  readonly full: string;
  readonly method: Method;
  readonly damping?: Damping;
  readonly solver: TrainingSolver;
  readonly termination: Termination;
  /** Why, in words. */
  readonly message: string;
  /** This run: the iteration it started from and how many it did. */
  readonly firstIteration: number;
  readonly iterations: number;
  /** Steps kept; tries rejected (including those of an iteration cut short); iterations without a step; solves. */
  readonly acceptedSteps: number;
  readonly rejectedTries: number;
  readonly rejectedIterations: number;
  readonly solves: number;
  readonly initialCost: number;
  readonly finalCost: number;
  readonly initialLambda?: number;
  readonly finalLambda?: number;
  /** Seconds: total = setup + iterations + records; second-order runs split the iterations' solves further. */
  readonly time: { total: number; setup: number; iterations: number; records: number; iteration?: IterationTimings };
}

/** A run of method M (train resolves with TrainingRun<M> for the method it was given). */
export interface TrainingRun<M extends Method = Method> {
  /** The trained network; for a run that diverged to non-finite parameters, the network it started from (see error). */
  readonly net: TwoLayerNet;
  /** The records; a run that stopped as 'diverged' ends with the record whose loss or step is not finite. */
  readonly history: readonly StepRecordOf<M>[];
  readonly stoppedBecause: Termination;
  readonly summary: TrainingSummary;
  /**
   * stoppedBecause 'failed': the failure of the solve (code E_SINGULAR, E_NONFINITE or E_NUMERICAL);
   * 'diverged' with non-finite parameters: E_NONFINITE, and net is the starting network.
   */
  readonly error?: { readonly code: NntkErrorCode; readonly message: string };
  readonly state: TrainState;
  readonly method: M;
  readonly solver: TrainingSolver;
  /** Names of the basis functions behind StepRecord.components. */
  readonly componentNames?: readonly string[];
  /** Eigenvalues of the initial NTK Gram behind StepRecord.ntkModes, descending. */
  readonly ntkEigenvalues?: Float64Array;
}

/** The solver a run used: an exact path of the second-order methods, or 'first-order' for gd and adam. */
export type TrainingSolver = SolverKind | 'first-order';

/** What the addon's train() resolves with (native/addon/train_glue.cpp). */
export interface NativeTrainResult {
  W: Float64Array;
  b: Float64Array;
  c: Float64Array;
  stoppedBecause: Termination;
  summary: TrainingSummary;
  error?: { code: NntkErrorCode; message: string };
  state: TrainState;
}

export interface TrainOptions<M extends Method = Method> extends LossOptions {
  /** 'newton' or 'gauss-newton' (exact second-order steps), 'gd' or 'adam'. No default. */
  method: M;
  /** How many iterations to run (at most: targetLoss, timeLimitSeconds and signal may stop it sooner). No default. */
  iterations: number;
  /** Second-order methods: the starting (or, for 'fixed', the constant) regularization. Default lambda = 1e-8. */
  regularization?: Regularization;
  /**
   * How lambda is chosen (docs/MATH.md section 3); each iteration makes at most 6 tries, and an indefinite
   * C + lambda I (unless allowIndefinite) or a non-finite loss is always a rejected try.
   * - 'fixed': lambda never changes and every finite step is taken, whether or not the loss falls. A
   *   rejected try would repeat itself exactly, so the run stops there as 'stalled' (lambda and the
   *   network unchanged; the summary says why).
   * - 'adaptive' (default; the paper's reference rule): a step is kept only if the loss falls, and then
   *   lambda *= 0.8; otherwise lambda *= 2 and the step is tried again. lambda stays in [1e-12, 1e2]; an
   *   iteration without a kept step leaves its raised lambda to the next, and a rejected try at 1e2
   *   stops the run as 'stalled'.
   * - 'gain-ratio' (Nielsen): a step is kept when its gain ratio is positive; then lambda *=
   *   max(1/3, 1 - (2 rho - 1)^3) and nu = 2; otherwise lambda *= nu, nu *= 2. Same bounds and stall as 'adaptive'.
   * - 'curvature-aware' (Cayci): each iteration starts from lambda_t = epsilon * lambda_min(B_t) (clamped
   *   to [1e-12, 1e2]) and takes every finite step; a rejected try is retried at 2 lambda within the
   *   iteration. An iteration without a step would repeat itself exactly, so the run stops as 'stalled'.
   */
  damping?: Damping;
  /**
   * The exact solver of each try (step.ts): 'auto' (default; for 'gauss-newton' with fewer parameters
   * than data points it picks 'primal', which also takes lambda = 0 with damping 'fixed'), 'dense',
   * 'structured', or 'primal' (Gauss-Newton only).
   */
  solver?: 'auto' | 'dense' | 'structured' | 'primal';
  /** Spectral monitoring per iteration: 'inertia' (default), 'extremal' (adds the extremal eigenvalues), or 'none'. */
  spectrum?: 'none' | 'inertia' | 'extremal';
  /** Step size of the second-order methods (default 1). */
  alpha?: number;
  /** gd (default 4.0) and adam (default 0.01): the paper's Figure 3 values. */
  learningRate?: number;
  /** 'curvature-aware': lambda_t = epsilon * lambda_min(B_t) (default 1). */
  epsilon?: number;
  /** Take the LDL^T step even when C + lambda I is indefinite (default: a rejected try). */
  allowIndefinite?: boolean;
  /** Stop as 'targetLoss' once the loss is at or below this (>= 0). Default: none. */
  targetLoss?: number;
  /** Stop as 'timeLimit' after this many seconds (> 0), checked between iterations and tries. Default: none. */
  timeLimitSeconds?: number;
  /** Stops the run at the next iteration or try (a gd / Adam sweep, or a solve, in progress finishes first). Default: none. */
  signal?: AbortSignal;
  /** Called with each record as it arrives (on the main thread, in order). Default: none. */
  onStep?: (s: StepRecordOf<M>) => void;
  /**
   * Per-iteration diagnostics: components on data.basis (or a given basis), NTK eigenmodes; every k iterations
   * (of the recorded ones; default every 1). Default: none.
   */
  diagnostics?: { components?: boolean | Basis; ntkModes?: boolean; every?: number };
  /**
   * Which iterations become records (history and onStep). Absent: every iteration. Given: iteration t is
   * recorded when t % every === 0, or t is on the log grid t = round(10^(k / perDecade)), k = 0, 1, ...
   * (perDecade points per decade), and the run's first record (its starting state) and last (the state it
   * stops in, whatever the reason) are always there; so `{}` keeps only those two. Both are positive
   * integers. The choice is made in native code: an iteration that is not recorded costs no JavaScript
   * work, and the training itself (parameters, losses, state) is the same either way.
   */
  record?: { every?: number; perDecade?: number };
  /**
   * Continue a previous run: a TrainingRun, or any { state } with a TrainState (its iteration count,
   * time, lambda and optimizer state), checked against this network and method. Default: a fresh start.
   */
  resume?: TrainingRun | { state: ResumeState };
  /** Cap on every large buffer of a solve in bytes, as in StepOptions. Default 4 GiB. */
  memoryLimitBytes?: number;
}

const KEYS = ['method', 'iterations', 'regularization', 'damping', 'solver', 'spectrum', 'alpha', 'learningRate', 'epsilon',
  'allowIndefinite', 'targetLoss', 'timeLimitSeconds', 'signal', 'onStep', 'diagnostics', 'record', 'resume', 'memoryLimitBytes',
  ...LOSS_KEYS] as const;

/**
 * (Phi^T Phi)^-1 Phi^T (K x M): maps f to its least-squares coefficients on the basis. Each basis column is
 * first scaled by its largest magnitude (Phi = Psi S, so the map is S^-1 (Psi^T Psi)^-1 Psi^T), so that
 * values near 1e308 neither overflow the normal equations nor turn the coefficients into NaN.
 */
function leastSquaresMap(basis: Basis, M: number): Float64Array {
  const K = basis.names.length;
  const scale = new Float64Array(K);
  for (let m = 0; m < M; m++) for (let a = 0; a < K; a++) scale[a] = Math.max(scale[a]!, Math.abs(basis.values[m * K + a]!));
  if (scale.some((s) => s === 0)) throw new NntkError('E_SINGULAR', 'a basis function is zero at every data point; leave it out of the basis');
  const Phi = basis.values.map((v, k) => v / scale[k % K]!);
  const A = new Float64Array(K * K);
  const B = new Float64Array(K * M);
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += Phi[m * K + a]! * Phi[m * K + b]!;
      A[a * K + b] = s;
    }
    for (let m = 0; m < M; m++) B[a * M + m] = Phi[m * K + a]!;
  }
  // Gaussian elimination with partial pivoting on the K x K normal equations, K right-hand sides of length M.
  for (let k = 0; k < K; k++) {
    let p = k;
    for (let i = k + 1; i < K; i++) if (Math.abs(A[i * K + k]!) > Math.abs(A[p * K + k]!)) p = i;
    if (Math.abs(A[p * K + k]!) < 1e-14 * Math.abs(A[0]!)) {
      throw new NntkError('E_SINGULAR', 'the basis functions are linearly dependent at the data points');
    }
    for (let j = 0; j < K; j++) [A[k * K + j], A[p * K + j]] = [A[p * K + j]!, A[k * K + j]!];
    for (let m = 0; m < M; m++) [B[k * M + m], B[p * M + m]] = [B[p * M + m]!, B[k * M + m]!];
    for (let i = 0; i < K; i++) {
      if (i === k) continue;
      const f = A[i * K + k]! / A[k * K + k]!;
      if (f === 0) continue;
      for (let j = k; j < K; j++) A[i * K + j]! -= f * A[k * K + j]!;
      for (let m = 0; m < M; m++) B[i * M + m]! -= f * B[k * M + m]!;
    }
  }
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) B[k * M + m]! /= A[k * K + k]! * scale[k]!;
  if (!B.every(Number.isFinite)) {
    throw new NntkError('E_SINGULAR', 'the basis is too ill-conditioned at the data points for least-squares components (its map is not finite); rescale or drop basis functions');
  }
  return B;
}

interface Prepared {
  net: TwoLayerNet;
  data: Dataset;
  options: Record<string, unknown>;
  method: Method;
  solver: TrainingSolver;
  nativeOptions: Record<string, unknown> & { diagnostics: Float64Array[] };
  nativeState: Record<string, unknown>;
  componentNames?: readonly string[];
  ntkEigenvalues?: Float64Array;
  diagnosticKinds: ('components' | 'ntkModes')[];
  /** diagnostics.ntkModes: the eigenvectors of the initial NTK Gram are computed after validation, off the main thread. */
  ntkModes: boolean;
  loss: ResolvedLoss;
}

function prepare(netArg: unknown, dataArg: unknown, options: unknown): Prepared {
  const problem = problemOf(netArg, dataArg);
  const { net, data } = problem;
  const o = readOptions(options, 'train options', KEYS, '{ method, iterations, ... }');
  const memoryLimitBytes = memoryLimit(o.memoryLimitBytes);
  const method = requireOneOf(o.method, 'method', METHODS);
  const loss = resolveLoss(o);
  const iterations = requireInteger(o.iterations, 'iterations', 0, 1e9);
  const secondOrder = method === 'newton' || method === 'gauss-newton';
  const damping = requireOneOf(o.damping ?? 'adaptive', 'damping', DAMPINGS);
  const spectrum = requireOneOf(o.spectrum ?? 'inertia', 'spectrum', SPECTRA);
  if (!secondOrder && (o.regularization !== undefined || o.damping !== undefined)) {
    throw new NntkError('E_ARGUMENT', `regularization and damping apply to 'newton' and 'gauss-newton', not '${method}'`);
  }
  if (damping === 'fixed' && secondOrder && o.regularization === undefined) {
    throw new NntkError('E_ARGUMENT', "damping 'fixed' needs a regularization ({ gamma } or { lambda })");
  }
  const lambda = o.regularization === undefined ? 1e-8 : resolveLambda(o.regularization, net.width, net.beta);
  const alpha = o.alpha === undefined ? 1 : requireNumber(o.alpha, 'alpha', { above: 0 });
  const learningRate = o.learningRate === undefined ? (method === 'adam' ? 0.01 : 4.0) : requireNumber(o.learningRate, 'learningRate', { above: 0 });
  const epsilon = o.epsilon === undefined ? 1 : requireNumber(o.epsilon, 'epsilon', { above: 0 });
  const targetLoss = o.targetLoss === undefined ? -1 : requireNumber(o.targetLoss, 'targetLoss', { min: 0 });
  const timeLimitSeconds = o.timeLimitSeconds === undefined ? Number.POSITIVE_INFINITY : requireNumber(o.timeLimitSeconds, 'timeLimitSeconds', { above: 0 });
  if (o.signal !== undefined && !isAbortSignal(o.signal)) throw invalid('E_ARGUMENT', 'signal', 'an AbortSignal', o.signal);
  if (o.onStep !== undefined && typeof o.onStep !== 'function') throw invalid('E_ARGUMENT', 'onStep', 'a function', o.onStep);
  if (o.allowIndefinite !== undefined && typeof o.allowIndefinite !== 'boolean') throw invalid('E_ARGUMENT', 'allowIndefinite', 'a boolean', o.allowIndefinite);

  let solver: Prepared['solver'] = 'first-order';
  if (secondOrder) {
    // The primal solver's memory is sized for lambda > 0 unless the run keeps lambda = 0 ('fixed').
    const curvature = method === 'gauss-newton' ? 'gauss-newton' : 'newton';
    const largestLambda = damping === 'fixed' ? lambda : 1;
    solver = resolveSolver({ ...problem, memoryLimitBytes, curvature, lambda: largestLambda }, requireOneOf(o.solver ?? 'auto', 'solver', SOLVERS), spectrum);
  } else if (o.solver !== undefined || o.spectrum !== undefined) {
    throw new NntkError('E_ARGUMENT', `solver and spectrum apply to 'newton' and 'gauss-newton', not '${method}'`);
  }

  // Diagnostics (MATH.md section 6): coefficient errors on a basis and on the initial NTK's eigenvectors.
  const diagnostics: Float64Array[] = [];
  const diagnosticKinds: Prepared['diagnosticKinds'] = [];
  let componentNames: readonly string[] | undefined;
  let ntkModes = false;
  let every = 1;
  if (o.diagnostics !== undefined) {
    if (!isPlainObject(o.diagnostics)) throw invalid('E_ARGUMENT', 'diagnostics', 'an object { components?, ntkModes?, every? }', o.diagnostics);
    requireKnownKeys(o.diagnostics, 'diagnostics', ['components', 'ntkModes', 'every']);
    const d = o.diagnostics;
    if (loss.loss !== 'square') {
      throw new NntkError('E_UNSUPPORTED', `diagnostics project the residual f - y on a basis; they need loss 'square' (received '${loss.loss}')`);
    }
    every = d.every === undefined ? 1 : requireInteger(d.every, 'diagnostics.every', 1);
    if (d.components !== undefined && d.components !== false) {
      const basis = d.components === true ? data.basis : checkedBasis(d.components, data);
      if (!basis) throw new NntkError('E_ARGUMENT', 'diagnostics.components needs a basis: the data set has none; pass one ({ names, values })');
      diagnostics.push(leastSquaresMap(basis, data.size));
      diagnosticKinds.push('components');
      componentNames = basis.names;
    }
    if (d.ntkModes !== undefined && d.ntkModes !== false) {
      if (d.ntkModes !== true) throw invalid('E_ARGUMENT', 'diagnostics.ntkModes', 'a boolean', d.ntkModes);
      ntkModes = true;
    }
  }

  // Record thinning: 0 switches a rule off; the default records every iteration.
  let recordEvery = 1;
  let recordPerDecade = 0;
  if (o.record !== undefined) {
    if (!isPlainObject(o.record)) throw invalid('E_ARGUMENT', 'record', 'an object { every?, perDecade? }', o.record);
    requireKnownKeys(o.record, 'record', ['every', 'perDecade']);
    recordEvery = o.record.every === undefined ? 0 : requireInteger(o.record.every, 'record.every', 1);
    recordPerDecade = o.record.perDecade === undefined ? 0 : requireInteger(o.record.perDecade, 'record.perDecade', 1);
  }

  const nativeState = o.resume === undefined
    ? { method, iteration: 0, seconds: 0, lambda, nu: 2 }
    : resumeState(o.resume, method, net.trainableCount);  // Adam's moments: P' values (docs/MATH.md section 1.2)
  if (o.resume !== undefined && o.regularization !== undefined) nativeState.lambda = lambda;
  return {
    net, data, options: o, method, solver, componentNames, diagnosticKinds, nativeState, ntkModes, loss,
    nativeOptions: {
      method, damping, solver: solver === 'first-order' ? 'structured' : solver, spectrum, lambda, alpha, learningRate,
      epsilon, iterations, targetLoss, timeLimitSeconds, allowIndefinite: o.allowIndefinite === true, diagnostics,
      diagnosticsEvery: every, recordEvery, recordPerDecade, memoryLimitBytes,
    },
  };
}

const STATE_KEYS = ['method', 'iteration', 'seconds', 'lambda', 'nu', 'adamM', 'adamV'] as const;

/**
 * resume.state, checked completely against this network and method (the addon checks types and
 * lengths again): counts and times finite and in range, the method it came from, and Adam's moments
 * of one entry per parameter, as Float64Array or (from JSON) plain number arrays.
 */
function resumeState(resume: unknown, method: Method, parameterCount: number): Record<string, unknown> {
  if (!isPlainObject(resume) || !isPlainObject(resume.state)) {
    throw invalid('E_ARGUMENT', 'resume', 'a TrainingRun returned by train(), or { state }', resume);
  }
  const s = resume.state;
  requireKnownKeys(s, 'resume.state', STATE_KEYS);
  const hint = 'resume a run with the method it was trained with';
  for (const [name, owner] of [['resume.state.method', s.method], ['resume.method', resume.method]] as const) {
    if (owner === undefined) continue;
    const m = requireOneOf(owner, name, METHODS);
    if (m !== method) throw new NntkError('E_ARGUMENT', `${name} is '${m}' but this run's method is '${method}'; ${hint}`);
  }
  const out: Record<string, unknown> = {
    method,
    iteration: requireInteger(s.iteration, 'resume.state.iteration', 0),
    seconds: requireNumber(s.seconds, 'resume.state.seconds', { min: 0 }),
    lambda: requireNumber(s.lambda, 'resume.state.lambda', { min: 0 }),
    nu: requireNumber(s.nu, 'resume.state.nu', { min: 1 }),
  };
  const hasMoments = s.adamM !== undefined || s.adamV !== undefined;
  if (hasMoments && method !== 'adam') {
    throw new NntkError('E_ARGUMENT', `resume.state carries Adam moments (adamM, adamV) but this run's method is '${method}'; ${hint}`);
  }
  if (method === 'adam') {
    if (!hasMoments && (out.iteration as number) > 0) {
      throw new NntkError('E_ARGUMENT', `resume.state records ${String(out.iteration)} Adam iterations but has no moments adamM and adamV; ` +
        'pass the state train() returned (if it went through JSON, store the moments with Array.from)');
    }
    if (hasMoments) {
      out.adamM = moments(s.adamM, 'resume.state.adamM', parameterCount);
      out.adamV = moments(s.adamV, 'resume.state.adamV', parameterCount);
      if ((out.adamV as Float64Array).some((v) => v < 0)) {
        throw new NntkError('E_ARGUMENT', 'resume.state.adamV has negative entries; second moments are never negative');
      }
    }
  }
  return out;
}

/** A real AbortSignal (an object that only inherits from AbortSignal.prototype has no state to read). */
/** One of Adam's moment vectors: a Float64Array or an array of numbers (JSON), of parameterCount finite entries. */
function moments(value: unknown, name: string, parameterCount: number): Float64Array {
  const isArray = Array.isArray(value);
  if (!isFloat64Array(value) && !isArray) {
    const hint = isPlainObject(value) && '0' in value
      ? 'JSON.stringify writes a Float64Array as an object of indices; store Array.from(state.adamM) and Array.from(state.adamV)'
      : 'pass the moments train() returned';
    throw invalid('E_ARGUMENT', name, 'a Float64Array or an array of numbers', value, hint);
  }
  // The length first: an enormous sparse array is refused before it is walked.
  const length = (value as ArrayLike<unknown>).length;
  if (length !== parameterCount) {
    throw new NntkError('E_SHAPE', `${name} has ${length} entries but the network has ${parameterCount} trainable parameters; ` +
      'resume with the network the state was trained with');
  }
  if (isArray && ![...(value as unknown[])].every((v) => typeof v === 'number')) {
    throw invalid('E_ARGUMENT', name, 'a Float64Array or an array of numbers', value, 'pass the moments train() returned');
  }
  const values = isArray ? Float64Array.from(value as number[]) : (value as Float64Array);
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) throw new NntkError('E_NONFINITE', `${name}[${k}] is ${describe(values[k])}; every entry must be finite`);
  }
  return values;
}

/** The eigenvectors of the initial NTK Gram as rows, largest eigenvalue first (MATH.md section 6), with their eigenvalues. */
async function ntkModeMap(net: TwoLayerNet, data: Dataset): Promise<{ map: Float64Array; eigenvalues: Float64Array }> {
  const M = data.size;
  const { values, vectors } = symmetricEigen(await ntkGram(net, data), M);
  const map = new Float64Array(M * M);
  for (let k = 0; k < M; k++) for (let m = 0; m < M; m++) map[k * M + m] = vectors[m * M + (M - 1 - k)]!;
  return { map, eigenvalues: Float64Array.from(values).reverse() };
}

// A basis given directly to the diagnostics is checked exactly as Dataset.create checks one.
function checkedBasis(basis: unknown, data: Dataset): Basis {
  return Dataset.create({ x: data.x, y: data.y, inputDim: data.inputDim, basis: basis as Basis }).basis!;
}

/**
 * Trains a network; resolves with the final network, the history of records (every iteration, or those
 * `record` selects), why it stopped and a summary. The loop runs off the main thread; onStep sees each
 * record as it arrives. Invalid options reject the promise (an NntkError); a numerical failure of a solve
 * does not: the run resolves with stoppedBecause 'failed', the error and the history up to it.
 */
export async function train<M extends Method>(net: TwoLayerNet, data: Dataset, o: TrainOptions<M>): Promise<TrainingRun<M>> {
  const p = prepare(net, data, o);
  if (p.ntkModes) {
    const { map, eigenvalues } = await ntkModeMap(p.net, p.data);
    p.nativeOptions.diagnostics.push(map);
    p.diagnosticKinds.push('ntkModes');
    p.ntkEigenvalues = eigenvalues;
  }
  const history: StepRecordOf<M>[] = [];
  const onStep = p.options.onStep as ((s: StepRecordOf<M>) => void) | undefined;
  const receive = (raw: Omit<StepRecord, 'method'> & { diagnostics?: Float64Array[] }) => {
    const { diagnostics, ...record } = raw;
    // The method first: the discriminant of StepRecord (the native record does not carry it); the
    // diagnostics last, under their kinds' names.
    const named = Object.fromEntries((diagnostics ?? []).map((values, k) => [p.diagnosticKinds[k]!, values]));
    const rec = { method: p.method, ...record, ...named } as StepRecordOf<M>;
    history.push(rec);
    onStep?.(rec);
  };
  const handle = native().train(state(p.net), lossData(p.data, p.loss), p.nativeOptions, p.nativeState, receive);
  const signal = p.options.signal as AbortSignal | undefined;
  const abort = () => handle.cancel();
  if (signal?.aborted) abort();
  signal?.addEventListener('abort', abort);
  try {
    const out = (await handle.promise) as unknown as NativeTrainResult;
    // A diverged run may end with non-finite parameters, which no network can hold: it then returns the
    // network it started from, and says so in its error (the history is intact either way).
    const finite = [out.W, out.b, out.c].every((a) => a.every(Number.isFinite));
    const trained = finite
      ? withParameters(p.net, out)
      : p.net;
    const error = out.error ?? (finite ? undefined : {
      code: 'E_NONFINITE' as const,
      message: 'the run diverged and its parameters are not finite; net is the network it started from (lower the learning rate or raise the regularization)',
    });
    return {
      net: trained,
      history,
      stoppedBecause: out.stoppedBecause,
      summary: out.summary,
      ...(error ? { error } : {}),
      state: out.state,
      method: p.method as M,
      solver: p.solver,
      ...(p.componentNames ? { componentNames: p.componentNames } : {}),
      ...(p.ntkEigenvalues ? { ntkEigenvalues: p.ntkEigenvalues } : {}),
    };
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
