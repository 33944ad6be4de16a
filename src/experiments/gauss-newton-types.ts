/**
 * What `nntk reproduce gauss-newton` computes and writes to DIR/gauss-newton.json (docs/MATH.md section 6.1):
 * the two experiments on the claims of arXiv 2412.14031, as plain JSON that the report draws without
 * recomputing anything.
 */

/** A fitted exponential rate of one run: loss ~ C exp(-rate t) over `window` (iterations, inclusive). */
export interface RunRate {
  rate: number;
  ci95: [number, number];
  r2: number;
  window: [number, number];
}

/** Mean over seeds of a per-seed quantity with its 95% Student-t interval (the fit's own interval for one seed). */
export interface SeedMean {
  mean: number;
  ci95: [number, number];
  seeds: number;
}

/** Experiment (a): one (spread, seed) data set and the two methods' runs on it. */
export interface ConditioningRun {
  spread: number;
  seed: number;
  /** lambda_1 / lambda_r of J_0^T J_0 / M restricted to its range (r = rank, see conditionNumber). */
  condition: number;
  rank: number;
  /** lambda_(r+1) / lambda_1: how far the eigenvalues past the rank are below the largest (rounding level when the rank is right). */
  pastRank: number;
  lambdaMax: number;
  methods: { method: ConditioningMethod; rate: RunRate | null; finalLoss: number; initialLoss: number; stoppedBecause: string; iterations: number }[];
}

export type ConditioningMethod = 'gauss-newton' | 'gd';

export interface ConditioningPoint {
  spread: number;
  method: ConditioningMethod;
  /** Geometric mean of the seeds' condition numbers, and their range. */
  condition: number;
  conditionRange: [number, number];
  rate: SeedMean;
  /** What the theory predicts per iteration: -2 log(1 - alpha) for Gauss-Newton, 2 eta lambda_r (mean over seeds) for GD. */
  reference: number;
}

export interface ConditioningResult {
  setting: Record<string, unknown>;
  runs: ConditioningRun[];
  points: ConditioningPoint[];
  /** Slope of log(rate) against log(condition) per method (least squares over the spreads' means). */
  slopes: Record<ConditioningMethod, number>;
}

/** Experiment (b): the rules compared. */
export type DampingRule = 'gd' | 'fixed' | 'gain-ratio' | 'curvature-aware';

/** One logged iteration of one run: the loss and |v_k^T r| for every eigenvector v_k of the initial NTK Gram (largest first). */
export interface DampingRecord {
  iteration: number;
  loss: number;
  modes: number[];
}

export interface DampingRun {
  rule: DampingRule;
  seed: number;
  stoppedBecause: string;
  records: DampingRecord[];
  rate: RunRate | null;
  finalLoss: number;
  /** |mode_k(end)| / |mode_k(0)| per mode. */
  modeRatios: number[];
}

export interface DampingRuleSummary {
  rule: DampingRule;
  rate: SeedMean;
  /** Geometric mean over seeds of the final loss over the initial loss. */
  lossRatio: number;
  /** Seeds whose loss fell below the floor (floorRatio of the initial loss). */
  converged: number;
  seeds: number;
  /** Per mode, geometric mean over seeds of modeRatios. */
  modeRatios: number[];
  /** Modes reduced at least 1000-fold (by the geometric mean). */
  modesLearned: number;
  terminations: Record<string, number>;
}

export interface DampingResult {
  setting: Record<string, unknown>;
  /** Eigenvalues of the initial NTK Gram per seed, descending. */
  ntkEigenvalues: number[][];
  condition: number;
  runs: DampingRun[];
  rules: DampingRuleSummary[];
}

export interface GaussNewtonResults {
  version: string;
  command: string;
  scale: string;
  seed: number;
  seeds: number;
  startedAt: string;
  wallSeconds: number;
  machine: string;
  /** A loss below floorRatio x its initial value counts as converged; the fits stop there. */
  floorRatio: number;
  conditioning: ConditioningResult;
  damping: DampingResult;
  /** Sentences computed from the numbers above (gauss-newton-findings.ts). */
  findings: { conditioning: string[]; damping: string[] };
}
