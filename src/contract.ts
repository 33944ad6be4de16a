/**
 * The contract between this TypeScript layer and the native core, declared once: the names of every
 * enum that crosses the boundary (the core reads and writes them by name, native/core/names.hpp) and
 * the size limits. test/contract.test.ts compares each list with the table the addon exports
 * (native().contract()), so the two sides cannot drift apart. This module imports nothing.
 */

/** The activations of docs/MATH.md section 1 (native/core/activation.cpp holds one record per name). */
export const ACTIVATIONS = ['tanh', 'sigmoid', 'softplus', 'sin', 'erf', 'gelu', 'silu'] as const;
export const CURVATURES = ['newton', 'gauss-newton'] as const;
export const SPECTRA = ['none', 'inertia', 'extremal', 'full'] as const;
/** The exact solver paths ('auto' is resolved in TypeScript before the call; 'primal' is Gauss-Newton only). */
export const SOLVER_KINDS = ['dense', 'structured', 'primal'] as const;
/**
 * Which factorization a step ran (StepResult.solver; native/core/step.hpp): the dense Cholesky, or LDL^T when
 * the matrix is indefinite; the structured Woodbury solve, deflated when the capacitance has zero blocks; the
 * primal Gauss-Newton QR (pivoted at lambda = 0; 'seminormal' when it re-solved with R^T R); and the one-step
 * grid's Gauss-Newton kernel Cholesky.
 */
export const FACTORIZATIONS = [
  'dense-cholesky',
  'dense-ldlt',
  'structured-woodbury',
  'structured-woodbury-deflated',
  'primal-qr',
  'primal-qr-pivoted',
  'primal-qr-seminormal',
  'primal-qr-pivoted-seminormal',
  'gauss-newton-kernel-cholesky',
] as const;
export type FactorizationName = (typeof FACTORIZATIONS)[number];
/** An array input: a Float64Array (read in place) or an array of numbers (copied). */
export type Numbers = Float64Array | readonly number[];
export const METHODS = ['newton', 'gauss-newton', 'gd', 'adam'] as const;
/** The damping rules (native/core/damping/: one file per rule, one row each in damping_rule.hpp's table). */
export const DAMPINGS = ['fixed', 'adaptive', 'gain-ratio', 'curvature-aware'] as const;
/** The losses of docs/MATH.md section 1.3 (native/core/loss.hpp). */
export const LOSSES = ['square', 'logistic', 'huber'] as const;
export type LossName = (typeof LOSSES)[number];
/** Why a training run stopped (TrainingRun.stoppedBecause). */
export const TERMINATIONS = ['iterations', 'targetLoss', 'timeLimit', 'aborted', 'diverged', 'stalled', 'failed'] as const;
export const ERROR_CODES = [
  'E_ARGUMENT', // an option or argument has the wrong type or an out-of-range value
  'E_SHAPE', // array lengths or dimensions do not agree
  'E_NONFINITE', // NaN or Infinity in the input, or produced by the network at these parameters
  'E_TOO_LARGE', // the request needs more memory than allowed or available
  'E_SINGULAR', // C + lambda I is singular to working precision
  'E_NUMERICAL', // an iterative LAPACK routine did not converge
  'E_UNSUPPORTED', // a valid request that this version cannot serve yet
  'E_NATIVE_LOAD', // the compiled addon could not be loaded
  'E_INTERNAL', // a bug in nntk
] as const;

/** Every enum of the contract, under the name the addon's table uses. */
export const ENUMS = {
  activation: ACTIVATIONS,
  curvature: CURVATURES,
  spectrum: SPECTRA,
  solver: SOLVER_KINDS,
  factorization: FACTORIZATIONS,
  method: METHODS,
  damping: DAMPINGS,
  termination: TERMINATIONS,
  loss: LOSSES,
  errorCode: ERROR_CODES,
} as const;

/**
 * The largest network: P = width * (inputDim + 2) <= 2^29 parameters (4 GiB as float64; a step needs a
 * few such vectors). Larger requests are refused with E_TOO_LARGE before anything is allocated.
 */
export const MAX_PARAMETER_COUNT = 2 ** 29;
/** The largest data set: size * inputDim <= 2^29 numbers. */
export const MAX_DATA_VALUES = 2 ** 29;
export const LIMITS = { maxParameterCount: MAX_PARAMETER_COUNT, maxDataValues: MAX_DATA_VALUES } as const;

export type ActivationName = (typeof ACTIVATIONS)[number];
export type CurvatureName = (typeof CURVATURES)[number];
export type SpectrumName = (typeof SPECTRA)[number];
export type SolverKind = (typeof SOLVER_KINDS)[number];
