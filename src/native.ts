/**
 * Loads the compiled core (see load() below) and describes its raw interface. Everything
 * passed to it has been validated by the TypeScript layer first (src/request.ts); the addon checks
 * again with its strict reader (native/addon/args.hpp). This is the bottom of src/: it imports only
 * the contract and the error class (test/contract.test.ts checks that nothing above is imported).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActivationName, CurvatureName, FactorizationName, SpectrumName } from './contract.js';
import { NntkError } from './errors.js';

/**
 * How the native limit kernels evaluate their Gaussian expectations (native/core/limit_kernel.hpp):
 * 'auto' (the default: closed form, else the shared grid for inputDim 1, else the per-pair rule) or one
 * forced, for tests and benchmarks. Not part of the public API.
 */
export type LimitMethodName = 'auto' | 'closed-form' | 'grid' | 'pair-quadrature';
/**
 * The terms of B* a network's limit keeps (native/core/limit_kernel.hpp, docs/MATH.md section 1.2): the trainable
 * groups by name ('W', 'b', 'c' in this order, e.g. 'Wb') and E[c^2]. Absent: 'Wbc' and 1/3.
 */
export interface NativeLimitTerms {
  trainable: string;
  outputMoment: number;
}

/** A network as the addon reads it: sizes, the activation's index and the parameter arrays. */
export interface NativeNet {
  width: number;
  inputDim: number;
  beta: number;
  /** The factor a of docs/MATH.md section 1.1 (the native core reads an absent one as 1). */
  outputScale: number;
  activation: ActivationName;
  W: Float64Array;
  b: Float64Array;
  c: Float64Array;
  /**
   * The trainable groups by name (docs/MATH.md section 1.2): 'W', 'b', 'c' in this order, each at most once,
   * e.g. 'Wb' for a fixed output layer (native/addon/convert.cpp reads it; absent means 'Wbc').
   */
  trainable?: string;
}
export interface NativeData {
  size: number;
  inputDim: number;
  x: Float64Array;
  y: Float64Array;
  /** Absent: the square loss (src/loss.ts). */
  loss?: 'logistic' | 'huber';
  huberDelta?: number;
}
export interface NativeStepRequest {
  curvature: CurvatureName;
  spectrum: SpectrumName;
  lambda: number;
  /** Cap on every large buffer of the call (dense matrices, structured caches and scratch). */
  memoryLimitBytes: number;
}
export interface Inertia {
  readonly positive: number;
  readonly negative: number;
  readonly zero: number;
}
/** Seconds spent in each phase of a step. */
export interface StepTimings {
  readonly evaluation: number;
  readonly assembly: number;
  readonly factorization: number;
  readonly inertia: number;
  readonly condition: number;
  readonly solve: number;
  readonly spectrum: number;
}
/** What a step reports besides the step itself (native/core/step.hpp). */
export interface StepReport {
  /** Which path and factorization ran (src/contract.ts FACTORIZATIONS): e.g. 'dense-cholesky', 'structured-woodbury', 'primal-qr'. */
  readonly solver: FactorizationName;
  /** Of C + lambda I. */
  readonly inertia: Inertia;
  readonly minEigenvalue?: number;
  readonly maxEigenvalue?: number;
  /** Ascending ('full' only). */
  readonly eigenvalues?: Float64Array;
  /** L at the current parameters, |grad L| and |step|. */
  readonly loss: number;
  readonly gradientNorm: number;
  readonly stepNorm: number;
  /** LAPACK's estimate of 1 / cond_1(C + lambda I). */
  readonly reciprocalCondition: number;
  readonly timings: StepTimings;
}
export interface NativeStepOutcome extends StepReport {
  step: Float64Array; // flat, neuron-major
}

export interface NativeSpectrum {
  inertia: Inertia;
  minEigenvalue: number;
  maxEigenvalue: number;
  bisectionSteps: number;
}

/** What the spectrum entry point is asked for (native/addon/spectrum_glue.cpp reads every field). */
export interface NativeSpectrumRequest {
  curvature: CurvatureName;
  lambda: number;
  memoryLimitBytes: number;
  smallest: number;
  largest: number;
  eigenvectors: boolean;
  frobenius: boolean;
  inertia: boolean;
  edges: Float64Array;
  bins: number;
  probes: number;
  lanczosSteps: number;
  seed: number;
}
export interface NativeSpectrumResult {
  inertia?: Inertia;
  smallest: Float64Array;
  largest: Float64Array;
  smallestVectors: Float64Array[];
  largestVectors: Float64Array[];
  smallestResiduals: Float64Array;
  largestResiduals: Float64Array;
  trace: number;
  frobeniusNorm?: number;
  edges: Float64Array;
  counts: Float64Array;
  densityNodes: Float64Array;
  densityWeights: Float64Array;
  densityCounts: Float64Array;
  passes: number;
  products: number;
  method: string;
}

export interface NativeOneStepGrid {
  f0: Float64Array;
  ntk?: Float64Array;
  targets: { loss: number; points: NativeOneStepPoint[] }[];
}
export interface NativeOneStepPoint {
  lambda: number;
  lossAfter?: number;
  maxNeuronUpdate?: number;
  stepNorm?: number;
  inertia?: Inertia;
  nntk?: Float64Array;
  solver?: FactorizationName;
  errorCode?: string;
  error?: string;
}

/** What the training loop resolves with (src/train.ts types the summary and state in full). */
export interface NativeTrainOutcome {
  W: Float64Array;
  b: Float64Array;
  c: Float64Array;
  stoppedBecause: string;
  summary: Record<string, unknown>;
  error?: { code: string; message: string };
  state: Record<string, unknown>;
}

/** What the addon declares about itself (native/addon/contract.cpp). */
export interface NativeContract {
  enums: Record<string, string[]>;
  limits: { maxParameterCount: number; maxDataValues: number };
}

export interface Addon {
  setErrorClass(ctor: typeof NntkError): void;
  contract(): NativeContract;
  initialize(seed: number, width: number, inputDim: number): { W: Float64Array; b: Float64Array; c: Float64Array };
  predict(net: NativeNet, x: Float64Array): Float64Array;
  loss(net: NativeNet, data: NativeData): number;
  gradient(net: NativeNet, data: NativeData): Float64Array;
  jacobian(net: NativeNet, data: NativeData): Float64Array;
  curvature(net: NativeNet, data: NativeData, curvature: CurvatureName): Float64Array;
  denseStepSync(net: NativeNet, data: NativeData, request: NativeStepRequest): NativeStepOutcome;
  denseStep(net: NativeNet, data: NativeData, request: NativeStepRequest): Promise<NativeStepOutcome>;
  primalStepSync(net: NativeNet, data: NativeData, request: NativeStepRequest): NativeStepOutcome;
  primalStep(net: NativeNet, data: NativeData, request: NativeStepRequest): Promise<NativeStepOutcome>;
  structuredStepSync(net: NativeNet, data: NativeData, request: NativeStepRequest): NativeStepOutcome;
  structuredStep(net: NativeNet, data: NativeData, request: NativeStepRequest): Promise<NativeStepOutcome>;
  ntkGramSync(net: NativeNet, data: NativeData, request: NativeStepRequest): Float64Array;
  ntkGram(net: NativeNet, data: NativeData, request: NativeStepRequest): Promise<Float64Array>;
  nntkGramSync(net: NativeNet, data: NativeData, request: NativeStepRequest): Float64Array;
  nntkGram(net: NativeNet, data: NativeData, request: NativeStepRequest): Promise<Float64Array>;
  curvatureSpectrumSync(net: NativeNet, data: NativeData, request: NativeStepRequest): NativeSpectrum;
  curvatureSpectrum(net: NativeNet, data: NativeData, request: NativeStepRequest): Promise<NativeSpectrum>;
  ntkCrossSync(net: NativeNet, data: NativeData, test: Float64Array): { cross: Float64Array; diagonal: Float64Array };
  ntkCross(net: NativeNet, data: NativeData, test: Float64Array): Promise<{ cross: Float64Array; diagonal: Float64Array }>;
  nntkCrossSync(net: NativeNet, data: NativeData, test: Float64Array, request: NativeStepRequest): { cross: Float64Array; diagonal: Float64Array };
  nntkCross(net: NativeNet, data: NativeData, test: Float64Array, request: NativeStepRequest): Promise<{ cross: Float64Array; diagonal: Float64Array }>;
  spectrumSync(net: NativeNet, data: NativeData, request: NativeSpectrumRequest): NativeSpectrumResult;
  spectrum(net: NativeNet, data: NativeData, request: NativeSpectrumRequest): Promise<NativeSpectrumResult>;
  train(
    net: NativeNet,
    data: NativeData,
    options: Record<string, unknown>,
    state: Record<string, unknown>,
    onRecord: (record: never) => void,
  ): { promise: Promise<NativeTrainOutcome>; cancel(): void };
  oneStepGridSync(net: NativeNet, data: NativeData, curvature: CurvatureName, lambdas: Float64Array, targets: Float64Array): NativeOneStepGrid;
  oneStepGrid(net: NativeNet, data: NativeData, curvature: CurvatureName, lambdas: Float64Array, targets: Float64Array): Promise<NativeOneStepGrid>;
  setThreads(n: number): void;
  getThreads(): number;
  /**
   * Where async calls run from now on: 'thread' (each on a thread of its own, the default) or 'pool'
   * (libuv's thread pool, as before issue 12). For bench/event-loop.ts only (native/addon/long_call.hpp).
   */
  setCallPlacement(placement: 'thread' | 'pool'): void;
  dgemmRate(n: number, repeats: number): number;
  dsyrkRate(n: number, k: number, repeats: number): number;
  tanhRate(n: number, passes: number, repeats: number): number;
  ntkGramLimitSync(x: Float64Array, M: number, d: number, activation: ActivationName, method?: LimitMethodName, terms?: NativeLimitTerms): Float64Array;
  ntkGramLimit(x: Float64Array, M: number, d: number, activation: ActivationName, method?: LimitMethodName, terms?: NativeLimitTerms): Promise<Float64Array>;
  ntkCrossLimitSync(
    test: Float64Array, Mt: number, x: Float64Array, M: number, d: number, activation: ActivationName, method?: LimitMethodName, terms?: NativeLimitTerms,
  ): Float64Array;
  ntkCrossLimit(
    test: Float64Array, Mt: number, x: Float64Array, M: number, d: number, activation: ActivationName, method?: LimitMethodName, terms?: NativeLimitTerms,
  ): Promise<Float64Array>;
  ntkDiagonalLimitSync(test: Float64Array, Mt: number, d: number, M: number, activation: ActivationName, method?: LimitMethodName, terms?: NativeLimitTerms): Float64Array;
  ntkDiagonalLimit(
    test: Float64Array, Mt: number, d: number, M: number, activation: ActivationName, method?: LimitMethodName, terms?: NativeLimitTerms,
  ): Promise<Float64Array>;
  nntkGramLimitSync(x: Float64Array, M: number, d: number, activation: ActivationName, gamma: number, terms?: NativeLimitTerms): Float64Array;
  nntkGramLimit(x: Float64Array, M: number, d: number, activation: ActivationName, gamma: number, terms?: NativeLimitTerms): Promise<Float64Array>;
  symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array };
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * node-gyp-build picks the addon: build/Release/nntk.node when there is one (a build from source, which
 * is what a checkout of the repository uses), otherwise the prebuilt binary for this platform that the
 * package ships (prebuilds/linux-x64/nntk.napi.glibc.node, made by scripts/prepack.mjs). NNTK_PREBUILD
 * names another package folder to look in.
 */
function load(): Addon {
  const require = createRequire(import.meta.url);
  let where = '';
  try {
    const resolveAddon = (require('node-gyp-build') as { resolve(dir: string): string }).resolve;
    where = resolveAddon(root);
    const addon = require(where) as Addon;
    addon.setErrorClass(NntkError);
    const threads = Number(process.env.OPENBLAS_NUM_THREADS ?? process.env.NNTK_THREADS);
    if (Number.isInteger(threads) && threads > 0) addon.setThreads(threads);
    return addon;
  } catch (cause) {
    const reason = String((cause as Error).message).trim();
    const inCheckout = existsSync(join(root, 'scripts', 'setup.mjs'));
    const missingLibrary = /cannot open shared object file/.test(reason);
    throw new NntkError(
      'E_NATIVE_LOAD',
      `could not load nntk's native core${where ? ` (${where})` : ''}: ${reason}\n` +
        'Possible solutions:\n' +
        (missingLibrary || !inCheckout
          ? '- Install OpenBLAS, which the prebuilt core links to: sudo apt-get install -y libopenblas0-pthread\n'
          : '') +
        (inCheckout
          ? '- Build the addon in this checkout: npm run build (it installs the Debian packages it needs as root)\n' +
            '- Build from scratch: rm -rf build && npm run build'
          : '- In the project that depends on nntk, build the core from source: npm rebuild nntk ' +
            '(it prints the packages it needs: libopenblas-dev liblapacke-dev cmake g++, and cmake-js with node-addon-api)'),
    );
  }
}

let cached: Addon | undefined;
/** The addon, loaded on first use so that importing nntk never throws. */
export function native(): Addon {
  cached ??= load();
  return cached;
}
