/**
 * A Figure 3/5 job (docs/MATH.md section 6): one training run of one method from one seed on the
 * Figure 3 data, logged on a log-spaced grid of iterations with the error of each target component and
 * of each initial-NTK eigenmode.
 */
import { TwoLayerNet } from '../model.js';
import type { TrainingRow } from '../report/types.js';
import { train } from '../train.js';
import type { TrainJob } from './jobs.js';
import { figureDataset } from './paper-grid.js';

export interface TrainJobResult {
  rows: TrainingRow[];
  metrics: { finalLoss: number | string; iterations: number; seconds: number; stoppedBecause: string; componentNames: string[] };
}

export async function runTrainJob(job: TrainJob): Promise<TrainJobResult> {
  const data = figureDataset('figure3');
  const net = TwoLayerNet.create({ width: job.width, inputDim: 1, beta: job.beta, seed: job.seed });
  const run = await train(net, data, {
    method: job.method,
    iterations: job.iterations,
    ...(job.learningRate !== undefined ? { learningRate: job.learningRate } : {}),
    record: job.record,
    diagnostics: { components: true, ntkModes: true },
  });
  const last = run.history.at(-1)!;
  // A diverged run's last record has a non-finite loss: it is left out of the rows (which plot on log
  // axes) and shows in the job's metrics as stoppedBecause 'diverged' with its final loss.
  const rows = run.history.filter((h) => Number.isFinite(h.loss)).map((h) => ({
    method: job.method,
    seed: job.seed,
    iteration: h.iteration,
    loss: h.loss,
    seconds: h.seconds,
    lambda: h.lambda ?? null,
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
    },
  };
}
