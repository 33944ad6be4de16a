/**
 * train(): regularized Newton and Gauss-Newton with exact solves, gradient descent and Adam
 * (docs/MATH.md sections 3 and 6). The loop runs in native code on a worker thread and streams one
 * StepRecord per iteration (or per iteration of a thinned schedule, `record`); it stops on iterations,
 * targetLoss, timeLimitSeconds, an AbortSignal, or divergence, and a run can be resumed from its last
 * network and state.
 */
import { type Basis, Dataset, nativeData, requireDataset } from './dataset.js';
import { NntkError } from './errors.js';
import { symmetricEigen, ntkGramSync } from './kernels.js';
import { denseFits, requireNet, state, TwoLayerNet } from './model.js';
import { native } from './native.js';
import { chooseSolver } from './solver-choice.js';
import { resolveLambda, type Regularization } from './system.js';
import type { Inertia } from './native.js';
import { invalid, isPlainObject, requireInteger, requireKnownKeys, requireNumber, requireOneOf } from './validate.js';

export type Method = 'newton' | 'gauss-newton' | 'gd' | 'adam';
export type Damping = 'fixed' | 'adaptive' | 'gain-ratio' | 'curvature-aware';
const METHODS = ['newton', 'gauss-newton', 'gd', 'adam'] as const;
const DAMPINGS = ['fixed', 'adaptive', 'gain-ratio', 'curvature-aware'] as const;
const SOLVERS = ['auto', 'dense', 'structured'] as const;
const SPECTRA = ['none', 'inertia', 'extremal'] as const;

export interface StepRecord {
  /** 0 is the state before the first iteration; record t describes the network after t iterations. */
  iteration: number;
  loss: number;
  /** Seconds since the start of the run (resumed runs continue the count). */
  seconds: number;
  /** Second-order methods: the regularization of the last try, whether a step was taken, how many tries were rejected. */
  lambda?: number;
  accepted?: boolean;
  retries?: number;
  /** Of C + lambda I at the last try. */
  inertia?: Inertia;
  minEigenvalue?: number;
  maxEigenvalue?: number;
  stepNorm?: number;
  /** max_i |(dw_i, db_i, dc_i)|: the paper's Lemma 9 quantity. */
  maxNeuronUpdate?: number;
  gradientNorm?: number;
  /** |coefficient error| on the data set's basis (least squares), when diagnostics ask for it. */
  components?: Float64Array;
  /** |coefficient error| on the eigenvectors of the initial NTK Gram, largest eigenvalue first. */
  ntkModes?: Float64Array;
}

/** What a resumed run continues from. */
export interface TrainState {
  iteration: number;
  seconds: number;
  lambda: number;
  nu: number;
  adamM?: Float64Array;
  adamV?: Float64Array;
}

export interface TrainingRun {
  net: TwoLayerNet;
  history: StepRecord[];
  /** 'iterations' | 'targetLoss' | 'timeLimit' | 'aborted' | 'diverged' | 'stalled' */
  stoppedBecause: string;
  state: TrainState;
  method: Method;
  solver: 'dense' | 'structured' | 'first-order';
  /** Names of the basis functions behind StepRecord.components. */
  componentNames?: readonly string[];
  /** Eigenvalues of the initial NTK Gram behind StepRecord.ntkModes, descending. */
  ntkEigenvalues?: Float64Array;
}

export interface TrainOptions {
  method: Method;
  iterations: number;
  /** Second-order methods: the starting (or, for 'fixed', the constant) regularization. Default lambda = 1e-8. */
  regularization?: Regularization;
  damping?: Damping;
  solver?: 'auto' | 'dense' | 'structured';
  /** Spectral monitoring per iteration: 'inertia' (default), 'extremal' (adds the extremal eigenvalues), or 'none'. */
  spectrum?: 'none' | 'inertia' | 'extremal';
  /** Step size of the second-order methods (default 1). */
  alpha?: number;
  /** gd (default 4.0) and adam (default 0.01): the paper's Figure 3 values. */
  learningRate?: number;
  /** 'curvature-aware': lambda_t = epsilon * lambda_min(B_t) (default 1). */
  epsilon?: number;
  /** Take the LDL^T step even when C + lambda I is indefinite (default: raise lambda instead). */
  allowIndefinite?: boolean;
  targetLoss?: number;
  timeLimitSeconds?: number;
  signal?: AbortSignal;
  onStep?: (s: StepRecord) => void;
  /** Per-iteration diagnostics: components on data.basis (or a given basis), NTK eigenmodes; every k iterations (of the recorded ones). */
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
  /** Continue a previous run: its iteration count, time, lambda and optimizer state. */
  resume?: TrainingRun;
  memoryLimitBytes?: number;
}

const KEYS = ['method', 'iterations', 'regularization', 'damping', 'solver', 'spectrum', 'alpha', 'learningRate', 'epsilon',
  'allowIndefinite', 'targetLoss', 'timeLimitSeconds', 'signal', 'onStep', 'diagnostics', 'record', 'resume', 'memoryLimitBytes'] as const;

/** (Phi^T Phi)^-1 Phi^T (K x M): maps f to its least-squares coefficients on the basis. */
function leastSquaresMap(basis: Basis, M: number): Float64Array {
  const K = basis.names.length;
  const Phi = basis.values;
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
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) B[k * M + m]! /= A[k * K + k]!;
  return B;
}

interface Prepared {
  net: TwoLayerNet;
  data: Dataset;
  options: Record<string, unknown>;
  method: Method;
  solver: 'dense' | 'structured' | 'first-order';
  nativeOptions: Record<string, unknown>;
  nativeState: Record<string, unknown>;
  componentNames?: readonly string[];
  ntkEigenvalues?: Float64Array;
  diagnosticKinds: ('components' | 'ntkModes')[];
}

function prepare(netArg: unknown, dataArg: unknown, options: unknown): Prepared {
  const net = requireNet(netArg);
  const data = requireDataset(dataArg);
  if (data.inputDim !== net.inputDim) {
    throw new NntkError('E_SHAPE', `the data have inputDim ${data.inputDim} but the network has inputDim ${net.inputDim}`);
  }
  if (!isPlainObject(options)) throw invalid('E_ARGUMENT', 'train options', 'an object { method, iterations, ... }', options);
  requireKnownKeys(options, 'train options', KEYS);
  const o = options;
  const method = requireOneOf(o.method, 'method', METHODS);
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
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalid('E_ARGUMENT', 'signal', 'an AbortSignal', o.signal);
  if (o.onStep !== undefined && typeof o.onStep !== 'function') throw invalid('E_ARGUMENT', 'onStep', 'a function', o.onStep);
  if (o.allowIndefinite !== undefined && typeof o.allowIndefinite !== 'boolean') throw invalid('E_ARGUMENT', 'allowIndefinite', 'a boolean', o.allowIndefinite);

  let solver: Prepared['solver'] = 'first-order';
  if (secondOrder) {
    const requested = requireOneOf(o.solver ?? 'auto', 'solver', SOLVERS);
    const fits = denseFits(net.parameterCount, o.memoryLimitBytes);
    solver = requested === 'auto' ? chooseSolver(net.parameterCount, data.size, net.width, spectrum, fits).solver : requested;
    if (solver === 'dense' && !fits) {
      throw new NntkError('E_TOO_LARGE', `the dense ${net.parameterCount} x ${net.parameterCount} system does not fit the memory cap; use solver 'structured'`);
    }
  } else if (o.solver !== undefined || o.spectrum !== undefined) {
    throw new NntkError('E_ARGUMENT', `solver and spectrum apply to 'newton' and 'gauss-newton', not '${method}'`);
  }

  // Diagnostics (MATH.md section 6): coefficient errors on a basis and on the initial NTK's eigenvectors.
  const diagnostics: Float64Array[] = [];
  const diagnosticKinds: Prepared['diagnosticKinds'] = [];
  let componentNames: readonly string[] | undefined;
  let ntkEigenvalues: Float64Array | undefined;
  let every = 1;
  if (o.diagnostics !== undefined) {
    if (!isPlainObject(o.diagnostics)) throw invalid('E_ARGUMENT', 'diagnostics', 'an object { components?, ntkModes?, every? }', o.diagnostics);
    requireKnownKeys(o.diagnostics, 'diagnostics', ['components', 'ntkModes', 'every']);
    const d = o.diagnostics;
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
      const M = data.size;
      const { values, vectors } = symmetricEigen(ntkGramSync(net, data), M);
      const map = new Float64Array(M * M);
      for (let k = 0; k < M; k++) for (let m = 0; m < M; m++) map[k * M + m] = vectors[m * M + (M - 1 - k)]!;  // largest first
      diagnostics.push(map);
      diagnosticKinds.push('ntkModes');
      ntkEigenvalues = Float64Array.from(values).reverse();
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

  const resume = o.resume as TrainingRun | undefined;
  if (resume !== undefined && (!isPlainObject(resume) || !isPlainObject((resume as unknown as Record<string, unknown>).state))) {
    throw invalid('E_ARGUMENT', 'resume', 'a TrainingRun returned by train()', resume);
  }
  const nativeState: Record<string, unknown> = resume ? { ...resume.state } : { iteration: 0, seconds: 0, lambda, nu: 2 };
  if (resume && o.regularization !== undefined) nativeState.lambda = lambda;
  return {
    net, data, options: o, method, solver, componentNames, ntkEigenvalues, diagnosticKinds, nativeState,
    nativeOptions: {
      method: METHODS.indexOf(method), damping: DAMPINGS.indexOf(damping), solver: solver === 'dense' ? 0 : 1,
      spectrum: SPECTRA.indexOf(spectrum), lambda, alpha, learningRate, epsilon, iterations, targetLoss, timeLimitSeconds,
      allowIndefinite: o.allowIndefinite === true, diagnostics, diagnosticsEvery: every, recordEvery, recordPerDecade,
    },
  };
}

// A basis given directly to the diagnostics is checked exactly as Dataset.create checks one.
function checkedBasis(basis: unknown, data: Dataset): Basis {
  return Dataset.create({ x: data.x, y: data.y, inputDim: data.inputDim, basis: basis as Basis }).basis!;
}

/**
 * Trains a network; resolves with the final network, the history of records (every iteration, or those
 * `record` selects) and why it stopped. The loop runs off the main thread; onStep sees each record as it
 * arrives.
 */
export async function train(net: TwoLayerNet, data: Dataset, o: TrainOptions): Promise<TrainingRun> {
  const p = prepare(net, data, o);
  const history: StepRecord[] = [];
  const onStep = p.options.onStep as ((s: StepRecord) => void) | undefined;
  const receive = (raw: StepRecord & { diagnostics?: Float64Array[] }) => {
    const { diagnostics, ...record } = raw;
    const rec: StepRecord = record;
    diagnostics?.forEach((values, k) => {
      rec[p.diagnosticKinds[k]!] = values;
    });
    history.push(rec);
    onStep?.(rec);
  };
  const handle = native().train(state(p.net), nativeData(p.data), p.nativeOptions, p.nativeState, receive);
  const signal = p.options.signal as AbortSignal | undefined;
  const abort = () => handle.cancel();
  if (signal?.aborted) abort();
  signal?.addEventListener('abort', abort);
  try {
    const out = await handle.promise;
    const trained = TwoLayerNet.fromParameters({ W: out.W, b: out.b, c: out.c, beta: p.net.beta, activation: p.net.activation });
    return {
      net: trained,
      history,
      stoppedBecause: out.stoppedBecause,
      state: out.state as unknown as TrainState,
      method: p.method,
      solver: p.solver,
      ...(p.componentNames ? { componentNames: p.componentNames } : {}),
      ...(p.ntkEigenvalues ? { ntkEigenvalues: p.ntkEigenvalues } : {}),
    };
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
