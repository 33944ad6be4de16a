/**
 * Jobs: the unit of work of `nntk reproduce` (and of sweeps). A job is a plain JSON object of parameters;
 * its key is a hash of their canonical form, so the same work always has the same key and a store can
 * tell what is already done, whoever planned it.
 */
import { createHash } from 'node:crypto';
import type { FigureCurvature, TrainingMethod } from '../report/types.js';
import type { LimitKind, OneStepFigure } from './paper-grid.js';

/** One network, one exact step per gamma (Figures 1-2). */
export interface OneStepJob {
  experiment: 'one-step';
  figure: OneStepFigure;
  curvature: FigureCurvature;
  width: number;
  trial: number;
  seed: number;
  beta: number;
  activation: 'tanh';
  gammas: number[];
  /** The reference kernel NNTK*: the exact limit, or the paper's proxy network (width, seed). */
  limit: { kind: LimitKind; width?: number; seed?: number };
}

/** One training run (Figures 3/5). */
export interface TrainJob {
  experiment: 'train';
  figure: 'figure3';
  method: TrainingMethod;
  seed: number;
  width: number;
  beta: number;
  iterations: number;
  learningRate?: number;
  /** Logged iterations per decade (plus every `every`-th), with component and mode errors at each. */
  record: { perDecade: number; every?: number };
}

export type Job = OneStepJob | TrainJob;

/** JSON with object keys sorted at every level: equal parameters give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`a job parameter is ${value}`);
  return JSON.stringify(value);
}

/** The job's key: the first 128 bits of SHA-256 of its canonical JSON, in hex. */
export function jobKey(job: Job): string {
  return createHash('sha256').update(canonicalJson(job)).digest('hex').slice(0, 32);
}

/**
 * Estimated seconds on one core (measured on a 2-core AMD EPYC: a Gauss-Newton one-step job at width 10^6
 * with 10 gammas 0.65 s, Newton about 8x that; gradient descent and Adam about 0.15 us per neuron and
 * iteration, the exact second-order methods about 3.3 us), for ordering the jobs (largest first) and
 * for the progress bar's ETA.
 */
export function jobCost(job: Job): number {
  if (job.experiment === 'one-step') return 1e-3 + job.width * job.gammas.length * 6.5e-8 * (job.curvature === 'newton' ? 8 : 1);
  const perNeuronIteration = job.method === 'gd' || job.method === 'adam' ? 1.5e-7 : 3.3e-6;
  return 1e-3 + job.width * job.iterations * perNeuronIteration;
}
