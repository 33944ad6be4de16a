/**
 * A Figure 1-2 job (docs/MATH.md sections 5-6): one network, one exact step for each gamma, and the
 * trial columns of trials.csv for each. The reference kernel NNTK* is the exact infinite-width limit
 * B* (B* + gamma I)^-1 (nntkGramLimitSync) or, with the paper's proxy, the NNTK of one width-10^6 network;
 * both are computed once per process and reused by every job.
 */
import { nntkGramLimitSync } from '../limit.js';
import { linearizedTrajectory, relativeFrobeniusError } from '../function-space.js';
import { TwoLayerNet } from '../model.js';
import { isStepPoint, oneStepGridSync } from '../one-step.js';
import type { TrialRow } from '../report/types.js';
import type { OneStepJob } from './jobs.js';
import type { Dataset } from '../dataset.js';

/** The reference kernels by (figure, curvature, limit, gamma), computed on first use. */
export class ReferenceKernels {
  private readonly cache = new Map<string, Float64Array>();

  /** NNTK* for the job's data at gamma; `dataKey` identifies the data (its inputs for the exact limit, inputs and targets for the proxy). */
  get(job: OneStepJob, gamma: number, data: Dataset, dataKey: string): Float64Array {
    const { kind, width, seed } = job.limit;
    // The exact limit depends on x, the activation and gamma only (Figures 1 and 2 share x; the Newton blocks vanish in the limit).
    const key = kind === 'exact' ? `exact:${dataKey}:${job.activation}:${gamma}` : `proxy:${dataKey}:${job.curvature}:${job.activation}:${job.beta}:${width}:${seed}:${gamma}`;
    let kernel = this.cache.get(key);
    if (!kernel) {
      if (kind === 'exact') {
        kernel = nntkGramLimitSync(data, { gamma, activation: job.activation }); // jobs run on worker threads
      } else {
        this.fillProxy(job, data, dataKey);
        kernel = this.cache.get(key)!;
      }
      this.cache.set(key, kernel);
    }
    return kernel;
  }

  // The paper's stand-in: the finite-width NNTK of one wide network, for all of the job's gammas at once.
  private fillProxy(job: OneStepJob, data: Dataset, dataKey: string): void {
    const net = TwoLayerNet.create({ width: job.limit.width!, inputDim: data.inputDim, beta: job.beta, seed: job.limit.seed!, activation: job.activation });
    const grid = oneStepGridSync(net, data, { regularizations: job.gammas.map((gamma) => ({ gamma })), curvature: job.curvature });
    grid.datasets[0]!.points.forEach((p, k) => {
      if (!isStepPoint(p)) throw p.error;
      this.cache.set(`proxy:${dataKey}:${job.curvature}:${job.activation}:${job.beta}:${job.limit.width}:${job.limit.seed}:${job.gammas[k]}`, p.nntk);
    });
  }
}

/** |f_1 - y|^2 / (2 M |y|^2) for the linearized step f_1 = f_0 + K (y - f_0) (linearizedTrajectory, one step). */
function linearizedLoss(K: Float64Array, f0: Float64Array, y: Float64Array): number {
  const M = y.length;
  const f1 = linearizedTrajectory(K, y, f0, { steps: 1 }).subarray(M);
  let sum = 0;
  let yy = 0;
  for (let m = 0; m < M; m++) {
    sum += (f1[m]! - y[m]!) ** 2;
    yy += y[m]! ** 2;
  }
  return sum / (2 * M * yy);
}

/**
 * A row of trials.csv as stored: the TrialRow of a computed step (error null), or, for a system that was
 * singular to working precision, the row's coordinates with null measurements and the error.
 */
export type TrialRecord = { [K in keyof TrialRow]: TrialRow[K] extends number ? number | null : TrialRow[K] } & { error: string | null };

/** The records whose step was computed, as the report draws them. */
export function completeTrials(records: readonly TrialRecord[]): TrialRow[] {
  return records.filter((r) => r.error === null) as TrialRow[];
}

export function runOneStepJob(job: OneStepJob, data: Dataset, dataKey: string, references: ReferenceKernels): TrialRecord[] {
  const started = performance.now();
  const net = TwoLayerNet.create({ width: job.width, inputDim: data.inputDim, beta: job.beta, seed: job.seed, activation: job.activation });
  const grid = oneStepGridSync(net, data, { regularizations: job.gammas.map((gamma) => ({ gamma })), curvature: job.curvature });
  const yy = data.y.reduce((s, v) => s + v * v, 0);
  const { points } = grid.datasets[0]!;
  const seconds = (performance.now() - started) / 1000 / job.gammas.length;
  return job.gammas.map((gamma, k) => {
    const p = points[k]!;
    const base = { figure: job.label, curvature: job.curvature, width: job.width, gamma, trial: job.trial, seed: job.seed, beta: job.beta, lambda: p.lambda, seconds };
    if (!isStepPoint(p)) {
      const missing = { one_step_loss: null, one_step_loss_linearized: null, one_step_loss_limit: null, max_neuron_update: null, nntk_error: null, negative_eigenvalues: null };
      return { ...base, ...missing, error: `${p.error.code}: ${p.error.message}` };
    }
    const reference = job.limit.kind === 'none' ? null : references.get(job, gamma, data, dataKey);
    return {
      ...base,
      one_step_loss: p.lossAfter / yy,
      one_step_loss_linearized: linearizedLoss(p.nntk, grid.f0, data.y),
      one_step_loss_limit: reference && linearizedLoss(reference, grid.f0, data.y),
      max_neuron_update: p.maxNeuronUpdate,
      nntk_error: reference && relativeFrobeniusError(p.nntk, reference),
      negative_eigenvalues: p.inertia.negative,
      error: null,
    };
  });
}
