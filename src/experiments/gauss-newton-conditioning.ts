/**
 * Experiment (a) of `nntk reproduce gauss-newton` (docs/MATH.md section 6.1; arXiv 2412.14031, the
 * underparameterized regime P < M): on clustered inputs whose spread tunes the conditioning of
 * J_0^T J_0, the late-time exponential rate of Gauss-Newton with almost no regularization and of gradient
 * descent, per data set and seed. The claim: Gauss-Newton's rate does not depend on the condition number,
 * gradient descent's falls like 1 / condition.
 */
import type { CreateOptions } from '../model.js';
import { TwoLayerNet } from '../model.js';
import { ntkGram, symmetricEigen } from '../kernels.js';
import { train, type TrainOptions } from '../train.js';
import type { ParameterGroup } from '../model.js';
import { clusteredInputs, clusteredTeacherData, teacherOf } from './clustered-data.js';
import { geometricMean, lateRate, logLogSlope, runLimited, seedMean } from './gauss-newton-rates.js';
import type { ConditioningMethod, ConditioningPoint, ConditioningResult, ConditioningRun } from './gauss-newton-types.js';

/**
 * The model and solver options of the experiment, in one place: the paper's setting, where only the hidden
 * layer trains (`trainable: ['W', 'b']`, output weights random signs; the teacher moves only the trainable
 * groups, and the rank below follows), and Gauss-Newton in its primal form (P' < M, docs/MATH.md section 4.1).
 */
export const CONDITIONING_SETTING = {
  /** TwoLayerNet.create's options but the seed: a narrow network, P' = 4 trainable parameters < M = 16. */
  model: { width: 2, inputDim: 1, beta: 0.52, activation: 'tanh', init: 'paper', outputScale: 1, trainable: ['W', 'b'], outputWeights: 'signs' } as ModelSetting,
  /** train()'s options for Gauss-Newton; lambda is relativeLambda x lambda_max(J_0^T J_0 / M), the step alpha < 1 follows the flow. */
  gaussNewton: { method: 'gauss-newton', damping: 'fixed', alpha: 0.5, spectrum: 'none', solver: 'primal' } as Partial<TrainOptions>,
  relativeLambda: 1e-10,
  /** Gradient descent's learning rate is this over lambda_max(J_0^T J_0 / M) (stable below 2). */
  gdStepTimesLambdaMax: 1,
  centers: [-1, 1],
  perCluster: 8,
  /** Standard deviation of the teacher's perturbation of the student's initial parameters. */
  teacherSize: 0.2,
} as const;

/** The model options of an experiment (TwoLayerNet.create's, without the seed). */
export type ModelSetting = Omit<CreateOptions, 'seed' | 'trainable'> & { width: number; inputDim: number; trainable?: ParameterGroup[] };

export interface ConditioningPlan {
  spreads: number[];
  seeds: number[];
  gaussNewtonIterations: number;
  gdIterations: number;
  floorRatio: number;
  concurrency: number;
}

const ALL_GROUPS: ParameterGroup[] = ['W', 'b', 'c'];

/** The groups that train: `model.trainable`, all three by default. */
export function trainableGroups(model: ModelSetting): ParameterGroup[] {
  return model.trainable ?? ALL_GROUPS;
}

/**
 * The rank of J_0 for generic data with M >= P: P for the paper's initialization; P / 2 for the symmetric
 * one, whose neuron pairs have opposite (w, b) columns and equal c columns (docs/MATH.md section 1.1).
 * P counts the trainable parameters only.
 */
export function expectedRank(model: ModelSetting, M: number): number {
  const perNeuron = trainableGroups(model).reduce((s, g) => s + (g === 'W' ? model.inputDim : 1), 0);
  const P = model.width * perNeuron;
  return Math.min(M, model.init === 'symmetric' ? P / 2 : P);
}

/**
 * The condition number of J_0^T J_0 / M on its range: lambda_1 / lambda_r with r the rank. Its nonzero
 * eigenvalues are those of the NTK Gram J_0 J_0^T / M (M x M, rank r <= P < M), so they come from ntkGram.
 */
export function conditionOf(descending: readonly number[], rank: number): { condition: number; pastRank: number; lambdaMax: number; lambdaMin: number } {
  const lambdaMax = descending[0]!;
  const lambdaMin = descending[rank - 1]!;
  return { condition: lambdaMax / lambdaMin, pastRank: rank < descending.length ? Math.abs(descending[rank]!) / lambdaMax : 0, lambdaMax, lambdaMin };
}

/** The network of seed `seed` and its clustered data set at `spread`. */
export function conditioningProblem(spread: number, seed: number): { net: TwoLayerNet; data: ReturnType<typeof clusteredTeacherData> } {
  const s = CONDITIONING_SETTING;
  const net = TwoLayerNet.create({ ...s.model, seed });
  const teacher = teacherOf(net, s.teacherSize, 7919 * seed + 1, trainableGroups(s.model));
  return { net, data: clusteredTeacherData(clusteredInputs(s.centers, s.perCluster, spread), teacher) };
}

async function runOne(spread: number, seed: number, plan: ConditioningPlan): Promise<ConditioningRun> {
  const s = CONDITIONING_SETTING;
  const { net, data } = conditioningProblem(spread, seed);
  const descending = Array.from(symmetricEigen(await ntkGram(net, data), data.size).values).reverse();
  const rank = expectedRank(s.model, data.size);
  const { condition, pastRank, lambdaMax } = conditionOf(descending, rank);
  const options: Record<ConditioningMethod, TrainOptions> = {
    'gauss-newton': {
      ...s.gaussNewton,
      method: 'gauss-newton',
      iterations: plan.gaussNewtonIterations,
      regularization: { lambda: s.relativeLambda * lambdaMax },
    },
    gd: {
      method: 'gd',
      iterations: plan.gdIterations,
      learningRate: s.gdStepTimesLambdaMax / lambdaMax,
      record: { every: Math.max(1, Math.floor(plan.gdIterations / 200)) },
    },
  };
  const methods: ConditioningRun['methods'] = [];
  for (const method of ['gauss-newton', 'gd'] as const) {
    const run = await train(net, data, options[method]);
    const h = run.history;
    methods.push({
      method,
      rate: lateRate(h.map((r) => r.iteration), h.map((r) => r.loss), plan.floorRatio),
      finalLoss: h.at(-1)!.loss,
      initialLoss: h[0]!.loss,
      stoppedBecause: run.stoppedBecause,
      iterations: h.at(-1)!.iteration,
    });
  }
  return { spread, seed, condition, rank, pastRank, lambdaMax, methods };
}

/** Every (spread, seed) run, then per (spread, method) the mean rate over the seeds with its interval. */
export async function runConditioning(plan: ConditioningPlan, onDone: () => void): Promise<ConditioningResult> {
  const s = CONDITIONING_SETTING;
  const tasks = plan.spreads.flatMap((spread) => plan.seeds.map((seed) => () => runOne(spread, seed, plan)));
  const runs = await runLimited(tasks, plan.concurrency, onDone);
  const points: ConditioningPoint[] = [];
  for (const spread of plan.spreads) {
    const here = runs.filter((r) => r.spread === spread);
    const conditions = here.map((r) => r.condition);
    for (const method of ['gauss-newton', 'gd'] as const) {
      const fits = here.map((r) => r.methods.find((m) => m.method === method)!.rate);
      const rates = fits.map((f) => f?.rate ?? Number.NaN);
      const reference = method === 'gauss-newton'
        ? -2 * Math.log(1 - (s.gaussNewton.alpha ?? 1))
        : here.reduce((sum, r) => sum + (2 * s.gdStepTimesLambdaMax) / r.condition, 0) / here.length;
      points.push({
        spread,
        method,
        condition: geometricMean(conditions),
        conditionRange: [Math.min(...conditions), Math.max(...conditions)],
        rate: seedMean(rates, fits.length === 1 ? fits[0]?.ci95 : undefined),
        reference,
      });
    }
  }
  const slope = (method: ConditioningMethod) => {
    const p = points.filter((q) => q.method === method);
    return logLogSlope(p.map((q) => q.condition), p.map((q) => q.rate.mean));
  };
  return {
    setting: { ...s, spreads: plan.spreads, seeds: plan.seeds, gaussNewtonIterations: plan.gaussNewtonIterations, gdIterations: plan.gdIterations },
    runs,
    points,
    slopes: { 'gauss-newton': slope('gauss-newton'), gd: slope('gd') },
  };
}
