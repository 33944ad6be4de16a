/**
 * Experiment (b) of `nntk reproduce gauss-newton` (docs/MATH.md section 6.1; arXiv 2412.14031, the
 * overparameterized regime): Levenberg-Marquardt with fixed, gain-ratio and curvature-aware damping
 * against gradient descent on a target with a high-frequency component, where the initial NTK Gram is
 * ill-conditioned; per run the loss and the residual's coordinates on the eigenvectors of the initial NTK
 * Gram (train's ntkModes diagnostics). The claim: a damping schedule tied to the curvature keeps the
 * convergence fast on every mode despite the conditioning.
 */
import { Dataset } from '../dataset.js';
import { TwoLayerNet } from '../model.js';
import { ntkGram, symmetricEigen } from '../kernels.js';
import { train, type TrainOptions } from '../train.js';
import type { ModelSetting } from './gauss-newton-conditioning.js';
import { geometricMean, lateRate, runLimited, seedMean } from './gauss-newton-rates.js';
import type { DampingResult, DampingRule, DampingRuleSummary, DampingRun } from './gauss-newton-types.js';

/**
 * The model and solver options of the experiment, in one place: the paper's setting, where only the hidden
 * layer trains (`trainable: ['W', 'b']`, output weights random signs), with output scale a = 4: at a = 1 the
 * frozen-output network moves too little per step for any rule to reach the floor in a few hundred
 * iterations (gain-ratio: 0.29 -> 3e-4 in 1000), at a = 4 the adaptive rules converge. The solver of every Levenberg-Marquardt run is `levenbergMarquardt`
 * (P' > M here, so the default solver is the right one; a `solver` set there applies to all three rules).
 */
export const DAMPING_SETTING = {
  /** TwoLayerNet.create's options but the seed: P' = 128 trainable parameters > M = 16. */
  model: { width: 64, inputDim: 1, beta: 0.52, activation: 'tanh', init: 'symmetric', outputScale: 4, trainable: ['W', 'b'], outputWeights: 'signs' } as ModelSetting,
  levenbergMarquardt: { method: 'gauss-newton', spectrum: 'none' } as Partial<TrainOptions>,
  /** 'fixed': lambda = fixedRelativeLambda x lambda_max(B_0); 'gain-ratio' starts there too. */
  fixedRelativeLambda: 1e-6,
  /** 'curvature-aware': lambda_t = epsilon lambda_min(B_t). */
  epsilon: 1,
  /** Gradient descent's learning rate over lambda_max(B_0). */
  gdStepTimesLambdaMax: 1,
  /** M equispaced points of [-1, 1]; y = sin(pi x) + highAmplitude sin(highFrequency pi x). */
  points: 16,
  highFrequency: 4,
  highAmplitude: 0.5,
} as const;

export const DAMPING_RULES: DampingRule[] = ['gd', 'fixed', 'gain-ratio', 'curvature-aware'];

export interface DampingPlan {
  seeds: number[];
  lmIterations: number;
  gdIterations: number;
  floorRatio: number;
  concurrency: number;
}

/** The data set of experiment (b). */
export function dampingData(): Dataset {
  const s = DAMPING_SETTING;
  const x = Float64Array.from({ length: s.points }, (_, m) => -1 + (2 * m) / (s.points - 1));
  const y = x.map((v) => Math.sin(Math.PI * v) + s.highAmplitude * Math.sin(s.highFrequency * Math.PI * v));
  return Dataset.create({ x, y, inputDim: 1 });
}

/** train()'s options of a rule, given lambda_max of the initial NTK Gram. */
export function ruleOptions(rule: DampingRule, lambdaMax: number, plan: DampingPlan): TrainOptions {
  const s = DAMPING_SETTING;
  const diagnostics = { ntkModes: true };
  if (rule === 'gd') {
    return { method: 'gd', iterations: plan.gdIterations, learningRate: s.gdStepTimesLambdaMax / lambdaMax, diagnostics, record: { every: Math.max(1, Math.floor(plan.gdIterations / 200)) } };
  }
  const lm = { ...s.levenbergMarquardt, method: 'gauss-newton' as const, iterations: plan.lmIterations, diagnostics, damping: rule };
  if (rule === 'curvature-aware') return { ...lm, epsilon: s.epsilon };
  return { ...lm, regularization: { lambda: s.fixedRelativeLambda * lambdaMax } };
}

async function runSeed(seed: number, plan: DampingPlan): Promise<{ eigenvalues: number[]; runs: DampingRun[] }> {
  const data = dampingData();
  const net = TwoLayerNet.create({ ...DAMPING_SETTING.model, seed });
  const eigenvalues = Array.from(symmetricEigen(await ntkGram(net, data), data.size).values).reverse();
  const runs: DampingRun[] = [];
  for (const rule of DAMPING_RULES) {
    const run = await train(net, data, ruleOptions(rule, eigenvalues[0]!, plan));
    const records = run.history
      .filter((h) => Number.isFinite(h.loss) && h.ntkModes !== undefined)
      .map((h) => ({ iteration: h.iteration, loss: h.loss, modes: Array.from(h.ntkModes!) }));
    const first = records[0]!;
    const last = records.at(-1)!;
    runs.push({
      rule,
      seed,
      stoppedBecause: run.stoppedBecause,
      records,
      rate: lateRate(records.map((r) => r.iteration), records.map((r) => r.loss), plan.floorRatio),
      finalLoss: run.history.at(-1)!.loss,
      modeRatios: last.modes.map((v, k) => v / first.modes[k]!),
    });
  }
  return { eigenvalues, runs };
}

/** Every seed's four runs, then per rule the mean rate over seeds, the loss reduction and the modes it learned. */
export async function runDamping(plan: DampingPlan, onDone: () => void): Promise<DampingResult> {
  const perSeed = await runLimited(plan.seeds.map((seed) => () => runSeed(seed, plan)), plan.concurrency, onDone);
  const runs = perSeed.flatMap((p) => p.runs);
  const rules: DampingRuleSummary[] = DAMPING_RULES.map((rule) => {
    const mine = runs.filter((r) => r.rule === rule);
    const M = mine[0]?.modeRatios.length ?? 0;
    const modeRatios = Array.from({ length: M }, (_, k) => geometricMean(mine.map((r) => Math.max(r.modeRatios[k]!, 1e-300))));
    const terminations: Record<string, number> = {};
    for (const r of mine) terminations[r.stoppedBecause] = (terminations[r.stoppedBecause] ?? 0) + 1;
    const fits = mine.map((r) => r.rate);
    return {
      rule,
      rate: seedMean(fits.map((f) => f?.rate ?? Number.NaN), fits.length === 1 ? fits[0]?.ci95 : undefined),
      lossRatio: geometricMean(mine.map((r) => Math.max((Number.isFinite(r.finalLoss) ? r.finalLoss : Infinity) / r.records[0]!.loss, 1e-300))),
      converged: mine.filter((r) => Number.isFinite(r.finalLoss) && r.records.some((q) => q.loss <= plan.floorRatio * r.records[0]!.loss)).length,
      seeds: mine.length,
      modeRatios,
      modesLearned: modeRatios.filter((v) => v <= 1e-3).length,
      terminations,
    };
  });
  const conditions = perSeed.map((p) => p.eigenvalues[0]! / Math.abs(p.eigenvalues.at(-1)!));
  return {
    setting: { ...DAMPING_SETTING, rules: DAMPING_RULES, seeds: plan.seeds, lmIterations: plan.lmIterations, gdIterations: plan.gdIterations },
    ntkEigenvalues: perSeed.map((p) => p.eigenvalues),
    condition: geometricMean(conditions),
    runs,
    rules,
  };
}
