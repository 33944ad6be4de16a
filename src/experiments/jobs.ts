/**
 * Jobs: the unit of work of sweeps and of `nntk reproduce` (a predefined sweep). A job is a plain JSON
 * object of parameters with every default filled in (src/sweep/expand.ts); its key is a hash of their
 * canonical form, so the same work always has the same key and a store can tell what is already done,
 * whoever planned it and wherever it ran.
 */
import { createHash } from 'node:crypto';
import type { Activation } from '../activation.js';
import type { Damping, Method } from '../train.js';
import { type DataRef, dataSize } from './data-ref.js';

export type JobCurvature = 'gauss-newton' | 'newton';
export const EXPERIMENTS = ['one-step', 'train', 'kernel'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

/** The network every experiment starts from: TwoLayerNet.create({ width, inputDim, beta, seed, activation }). */
export interface NetworkParams {
  width: number;
  seed: number;
  beta: number;
  activation: Activation;
  data: DataRef;
  /** The group a job belongs to in reports and exports (e.g. 'figure1'); defaults to the data set's name. */
  label: string;
}

/** One network, one exact step per gamma (the Figure 1-2 trial, docs/MATH.md section 6). */
export interface OneStepJob extends NetworkParams {
  experiment: 'one-step';
  curvature: JobCurvature;
  /** Which network of a (width, gamma) cell this is; only reports use it (the seed makes the network). */
  trial: number;
  /** Width-free regularizations gamma, lambda_N = gamma N^(1 - 2 beta), largest first. */
  gammas: number[];
  /** The reference kernel NNTK*: the exact limit, the paper's proxy network (width, seed), or none (no limit columns). */
  limit: { kind: 'exact' | 'proxy' | 'none'; width?: number; seed?: number };
}

/** One training run (Figures 3/5 for the paper's data). */
export interface TrainJob extends NetworkParams {
  experiment: 'train';
  /** The Gauss-Newton paper's setting (docs/MATH.md sections 1.1-1.3): present only when not the default, so older keys stay. */
  init?: 'symmetric';
  outputScale?: number;
  /** The trainable groups in the order W, b, c (absent: all three). */
  trainable?: ('W' | 'b' | 'c')[];
  outputWeights?: 'signs';
  loss?: 'logistic' | 'huber';
  huberDelta?: number;
  method: Method;
  iterations: number;
  learningRate?: number;
  damping?: Damping;
  regularization?: { lambda: number } | { gamma: number };
  alpha?: number;
  epsilon?: number;
  targetLoss?: number;
  timeLimitSeconds?: number;
  /** Which iterations are kept (train's `record`: perDecade points per decade, and every `every`-th). */
  record: { perDecade?: number; every?: number };
  /** Per-record diagnostics: component errors on the data's basis (when it has one), NTK eigenmode errors. */
  diagnostics: { components: boolean; ntkModes: boolean };
}

/** NTK / NNTK spectra of one network (and optionally of the infinite-width limit). */
export interface KernelJob extends NetworkParams {
  experiment: 'kernel';
  kernels: ('ntk' | 'nntk')[];
  /** The NNTK's curvature and regularizations (one spectrum per gamma). */
  curvature: JobCurvature;
  gammas: number[];
  /** Also the spectra of the limit kernels B* and NNTK*. */
  limit: boolean;
}

export type Job = OneStepJob | TrainJob | KernelJob;

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

/**
 * The job's key: the first 128 bits of SHA-256 of its canonical JSON, in hex. A data file enters by its
 * content hash, not its path: the same file read from another directory or machine is the same job.
 */
export function jobKey(job: Job): string {
  const data = job.data.kind === 'file' ? { ...job.data, path: undefined } : job.data;
  return createHash('sha256').update(canonicalJson({ ...job, data })).digest('hex').slice(0, 32);
}

/**
 * Estimated seconds on one core (measured on a 2-core AMD EPYC: a Gauss-Newton one-step job at width 10^6
 * with 10 gammas 0.65 s, Newton about 8x that; gradient descent and Adam about 0.15 us per neuron and
 * iteration, the exact second-order methods about 3.3 us), for ordering the jobs (largest first), for
 * balancing shards and for the progress bar's ETA. Costs scale with M / 16 (the Figure 1 data).
 */
export function jobCost(job: Job): number {
  const m = dataSize(job.data) / 16;
  if (job.experiment === 'one-step') return 1e-3 + m * job.width * job.gammas.length * 6.5e-8 * (job.curvature === 'newton' ? 8 : 1);
  if (job.experiment === 'kernel') return 1e-3 + m * m * job.width * (1 + job.gammas.length) * 6.5e-8;
  const perNeuronIteration = job.method === 'gd' || job.method === 'adam' ? 1.5e-7 : 3.3e-6;
  return 1e-3 + (m / 8) * job.width * job.iterations * perNeuronIteration;
}
