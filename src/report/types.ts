/**
 * What the report is drawn from: the rows of results.sqlite as exported to trials.csv and training.csv,
 * the fitted summary, and the run's description. The command line fills these from the store; the
 * report renders them without recomputing anything (`nntk report DIR`).
 */
import type { GaussNewtonResults } from '../experiments/gauss-newton-types.js';

export type FigureCurvature = 'gauss-newton' | 'newton';
export type TrainingMethod = 'gd' | 'adam' | 'gauss-newton' | 'newton';

/** One exact step on one network (docs/MATH.md section 6, Figures 1-2): one row of trials.csv. */
export interface TrialRow {
  /** The job's label: 'figure1' / 'figure2' for the paper's runs, the data set's name (or the spec's label) in a sweep. */
  figure: string;
  curvature: FigureCurvature;
  width: number;
  gamma: number;
  trial: number;
  /** TwoLayerNet.create({ width, inputDim: 1, beta, seed }) rebuilds this row's network. */
  seed: number;
  beta: number;
  /** lambda_N = gamma N^(1 - 2 beta). */
  lambda: number;
  /** |f_1 - y|^2 / (2 M |y|^2) for the network after the step. */
  one_step_loss: number;
  /** The same for f_0 + NNTK_N (y - f_0). */
  one_step_loss_linearized: number;
  /** The same for f_0 + NNTK* (y - f_0) (limit kernel, or the proxy network with --limit proxy). */
  one_step_loss_limit: number;
  /** max_i |(dw_i, db_i, dc_i)| of the step (not multiplied by gamma). */
  max_neuron_update: number;
  /** |NNTK_N - NNTK*|_F / |NNTK*|_F (not multiplied by gamma). */
  nntk_error: number;
  /** Inertia of C + lambda_N I: negative eigenvalues (0 for Gauss-Newton). */
  negative_eigenvalues: number;
  seconds: number;
}

/** One logged iteration of one training run (Figures 3/5): one row of training.csv. */
export interface TrainingRow {
  method: TrainingMethod;
  seed: number;
  iteration: number;
  loss: number;
  seconds: number;
  /** Second-order methods only. */
  lambda: number | null;
  /** |coefficient error| per basis function (ReportInput.componentNames), or null when not logged. */
  components: number[] | null;
  /** |coefficient error| per initial-NTK eigenmode (largest eigenvalue first), or null when not logged. */
  modes: number[] | null;
}

export interface PowerLawSummary {
  curvature: FigureCurvature;
  gamma: number;
  exponent: number;
  ci95: [number, number];
  r2: number;
  /** The paper's reference exponent -(1 - beta). */
  reference: number;
  /** Rows used in the fit. */
  points: number;
}

export interface RateSummary {
  method: TrainingMethod;
  /** Per iteration: loss ~ C exp(-rate t). */
  rate: number;
  ci95: [number, number];
  r2: number;
  window: [number, number];
  /** Mean final loss over the seeds. */
  finalLoss: number;
  seeds: number;
}

/** Figure 1a: eigenvalues of the NTK (normalized by the largest) and of the NNTK for each gamma, descending. */
export interface EigenvalueSummary {
  /** Where the kernels come from, e.g. 'limit kernel (Gauss-Hermite)' or 'width 1000000, seed 7'. */
  source: string;
  curvature: FigureCurvature;
  ntk: number[];
  nntk: { gamma: number; values: number[] }[];
}

/** The curvature spectrum panel: an exact histogram of all P eigenvalues and its SLQ estimate. */
export interface SpectrumSummary {
  source: string;
  parameters: number;
  lambda: number;
  /** Ascending / descending, by the secular equations. */
  smallest: number[];
  largest: number[];
  trace: number;
  inertia: { positive: number; negative: number; zero: number };
  /** counts[b] (exact) and densityCounts[b] (stochastic Lanczos quadrature) of [edges[b], edges[b + 1]). */
  edges: number[];
  counts: number[];
  densityCounts: number[];
  passes: number;
  seconds: number;
}

export interface Summary {
  figure1a?: EigenvalueSummary;
  spectrum?: SpectrumSummary;
  figure2a?: PowerLawSummary[];
  figure2b?: PowerLawSummary[];
  figure3?: RateSummary[];
}

export interface RunDescription {
  command: string;
  figures: string[];
  scale: string;
  seed: number;
  trials: number;
  curvatures: FigureCurvature[];
  limit: 'exact' | 'proxy' | 'none';
  widths: number[];
  gammas: number[];
  beta: number;
  /** Training budgets per method (iterations) and the seeds used. */
  training?: { method: TrainingMethod; iterations: number; learningRate?: number }[];
  trainingSeeds?: number;
  trainingWidth?: number;
  version: string;
  machine: string;
  startedAt: string;
  /** Seconds of computation recorded in the store (all sessions that filled it). */
  seconds: number;
  /** Wall-clock seconds of the run that recorded this description (jobs found done cost nothing). */
  wallSeconds?: number;
  threads: number;
  workers: number;
}

export interface ReportInput {
  run: RunDescription;
  /** `nntk reproduce gauss-newton`: the two experiments on arXiv 2412.14031 (DIR/gauss-newton.json). */
  gaussNewton?: GaussNewtonResults;
  trials: TrialRow[];
  training: TrainingRow[];
  componentNames: string[];
  summary: Summary;
}
