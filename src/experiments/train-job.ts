/**
 * A training job (docs/MATH.md section 6; Figures 3/5 on the paper's data): one run of one method from one
 * seed, logged on the job's record grid, with the error of each basis component (when the data has a
 * basis) and of each initial-NTK eigenmode when asked.
 */
import type { Dataset } from '../dataset.js';
import { TwoLayerNet } from '../model.js';
import type { TrainingRow } from '../report/types.js';
import { train, type TrainOptions } from '../train.js';
import type { TrainJob } from './jobs.js';

export interface TrainJobResult {
  rows: TrainingRow[];
  metrics: {
    finalLoss: number | string;
    iterations: number;
    seconds: number;
    stoppedBecause: string;
    componentNames: string[];
    accepted: number;
    rejected: number;
    /** Logistic loss: the fraction of training points classified correctly at the end. */
    finalAccuracy?: number;
    error?: string;
  };
}

/** train()'s options for a job: only the fields the job sets, so train's defaults apply to the rest. */
function trainOptions(job: TrainJob, data: Dataset): TrainOptions {
  const optional = ['learningRate', 'damping', 'regularization', 'alpha', 'epsilon', 'targetLoss', 'timeLimitSeconds'] as const;
  const picked = Object.fromEntries(optional.filter((k) => job[k] !== undefined).map((k) => [k, job[k]]));
  // Diagnostics project f - y: the square loss's (a job with another loss records none).
  const components = job.diagnostics.components && data.basis !== undefined && job.loss === undefined;
  return {
    method: job.method,
    iterations: job.iterations,
    ...picked,
    ...(job.loss ? { loss: job.loss } : {}),
    ...(job.huberDelta !== undefined ? { huberDelta: job.huberDelta } : {}),
    record: job.record,
    ...(components || job.diagnostics.ntkModes ? { diagnostics: { components, ntkModes: job.diagnostics.ntkModes } } : {}),
  };
}

export async function runTrainJob(job: TrainJob, data: Dataset): Promise<TrainJobResult> {
  const net = TwoLayerNet.create({
    width: job.width, inputDim: data.inputDim, beta: job.beta, seed: job.seed, activation: job.activation,
    ...(job.init ? { init: job.init } : {}),
    ...(job.outputScale !== undefined ? { outputScale: job.outputScale } : {}),
    ...(job.trainable ? { trainable: job.trainable } : {}),
    ...(job.outputWeights ? { outputWeights: job.outputWeights } : {}),
  });
  const run = await train(net, data, trainOptions(job, data));
  const last = run.history.at(-1)!;
  // A diverged run's last record has a non-finite loss: it is left out of the rows (which plot on log
  // axes) and shows in the job's metrics as stoppedBecause 'diverged' with its final loss.
  const rows = run.history.filter((h) => Number.isFinite(h.loss)).map((h) => ({
    method: job.method,
    seed: job.seed,
    iteration: h.iteration,
    loss: h.loss,
    seconds: h.seconds,
    lambda: h.method === 'newton' || h.method === 'gauss-newton' ? h.lambda : null,
    components: h.components ? Array.from(h.components) : null,
    modes: h.ntkModes ? Array.from(h.ntkModes) : null,
  }));
  return {
    rows,
    metrics: {
      finalLoss: Number.isFinite(last.loss) ? last.loss : String(last.loss),
      iterations: last.iteration,
      seconds: last.seconds,
      stoppedBecause: run.stoppedBecause,
      componentNames: [...(run.componentNames ?? [])],
      accepted: run.summary.acceptedSteps,
      rejected: run.summary.rejectedTries,
      ...(last.accuracy !== undefined ? { finalAccuracy: last.accuracy } : {}),
      ...(run.error ? { error: `${run.error.code}: ${run.error.message}` } : {}),
    },
  };
}
