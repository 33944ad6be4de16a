/**
 * From a checked spec to jobs: every block's grid is expanded (the cartesian product of its axes, the
 * last axis fastest), `trials` adds independent networks per grid point, and each job gets its
 * experiment's defaults, so that the same work always reads the same and has the same key
 * (src/experiments/jobs.ts). Errors name the block, the axis and the value.
 */
import { dirname } from 'node:path';
import type { Activation } from '../activation.js';
import { NntkError } from '../errors.js';
import { type DataInput, type DataRef, dataName, loadDataRef } from '../experiments/data-ref.js';
import { canonicalJson, type Experiment, type Job, jobKey, type JobCurvature } from '../experiments/jobs.js';
import { PAPER_BETA, trialSeed } from '../experiments/paper-grid.js';
import type { Damping, Method } from '../train.js';
import { REQUIRED_PARAMS } from './schema.js';
import { checkJobParams, readSpec, type SweepBlock, type SweepSpec, type ValueList } from './spec.js';

/** More jobs than this in one spec is almost surely a mistake in a grid (and would not fit a store's plan step in memory). */
export const MAX_JOBS = 1_000_000;

/** The plans this module made: runPlannedSweep takes only these (their jobs were checked). */
const made = new WeakSet<object>();

export function requirePlan(value: unknown): asserts value is PlannedSweep {
  if (typeof value !== 'object' || value === null || !made.has(value)) {
    throw new NntkError('E_ARGUMENT', `expected a plan made by planSweep() but received ${value === null ? 'null' : typeof value}; pass the spec to runSweep instead`);
  }
}

const DEFAULT_DATA: Record<Experiment, DataInput> = { 'one-step': 'figure1', train: 'figure3', kernel: 'figure1' };

function bad(where: string, message: string): NntkError {
  return new NntkError('E_ARGUMENT', `${where}: ${message}`);
}

/** The values of one grid axis. */
export function axisValues(list: ValueList, where: string): unknown[] {
  if (Array.isArray(list)) return list;
  if ('range' in list) {
    const [start, stop, step = 1] = list.range as [number, number, number?];
    if (step === 0 || Math.sign(stop - start) * Math.sign(step) < 0) throw bad(where, `range [${list.range.join(', ')}] is empty or endless`);
    const count = Math.ceil((stop - start) / step);
    if (count > MAX_JOBS) throw bad(where, `range [${list.range.join(', ')}] has ${count} values`);
    return Array.from({ length: count }, (_, k) => start + k * step);
  }
  const [a, b, count] = 'logspace' in list ? list.logspace : list.linspace;
  if (!Number.isInteger(count) || count < 1 || count > MAX_JOBS) throw bad(where, `the count ${count} must be a positive integer`);
  const at = (k: number) => (count === 1 ? a : a + ((b - a) * k) / (count - 1));
  if ('linspace' in list) return Array.from({ length: count }, (_, k) => at(k));
  const values = Array.from({ length: count }, (_, k) => 10 ** at(k));
  // 10^k for integer k is exact in binary64 only through 10^22; integers are what widths need anyway.
  return list.integer ? [...new Set(values.map(Math.round))] : values;
}

/** Every combination of the axes' values, the last axis varying fastest. */
function product(axes: [string, unknown[]][]): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [name, values] of axes) {
    if (points.length * values.length > MAX_JOBS) throw bad(name, `the grid has over ${MAX_JOBS} points`);
    points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
  }
  return points;
}

/** Data references resolved once per distinct input (a file is read and hashed once). */
class DataCache {
  private readonly refs = new Map<string, DataRef>();
  constructor(private readonly baseDir: string) {}

  get(input: DataInput, where: string): DataRef {
    const key = canonicalJson(input);
    let ref = this.refs.get(key);
    if (!ref) {
      ref = loadDataRef(input, this.baseDir, where);
      this.refs.set(key, ref);
    }
    return ref;
  }
}

const sortedGammas = (p: Record<string, unknown>, fallback?: number[]): number[] | undefined => {
  const list = (p.gammas as number[] | undefined) ?? (p.gamma !== undefined ? [p.gamma as number] : fallback);
  return list && [...list].sort((a, b) => b - a);
};

/** A job with every default filled in, from one point's parameters. */
function makeJob(experiment: Experiment, p: Record<string, unknown>, where: string, data: DataCache, blockName?: string): Job {
  // Each point is checked as a whole job against the same schema (a generated width of 0, a value of the wrong type on an axis).
  checkJobParams(experiment, p, where);
  for (const name of REQUIRED_PARAMS[experiment]) {
    if (p[name] === undefined) throw bad(where, `missing '${name}' (give it in fixed, grid, defaults or the job)`);
  }
  if (p.gamma !== undefined && p.gammas !== undefined) throw bad(where, "give 'gamma' or 'gammas', not both");
  const ref = data.get((p.dataset as DataInput | undefined) ?? DEFAULT_DATA[experiment], `${where}.dataset`);
  const network = {
    width: p.width as number,
    seed: (p.seed as number | undefined) ?? 0,
    beta: (p.beta as number | undefined) ?? PAPER_BETA,
    activation: ((p.activation as Activation | undefined) ?? 'tanh'),
    data: ref,
    label: (p.label as string | undefined) ?? blockName ?? dataName(ref),
  };
  const curvature = (p.curvature as JobCurvature | undefined) ?? 'gauss-newton';
  if (experiment === 'one-step') {
    const gammas = sortedGammas(p);
    if (!gammas) throw bad(where, "missing 'gammas' (or 'gamma'): the regularizations of the step");
    const limit = p.limit ?? 'exact';
    return {
      experiment, ...network, curvature, trial: (p.trial as number | undefined) ?? 0, gammas,
      limit: typeof limit === 'string' ? { kind: limit as 'exact' | 'none' } : { kind: 'proxy', ...(limit as { proxy: { width: number; seed: number } }).proxy },
    };
  }
  if (experiment === 'kernel') {
    return {
      experiment, ...network, curvature, kernels: (p.kernels as ('ntk' | 'nntk')[] | undefined) ?? ['ntk', 'nntk'],
      gammas: sortedGammas(p, [1e-3])!, limit: (p.limit as boolean | undefined) ?? false,
    };
  }
  // Options of the other family of methods would be refused by train() when the job runs: say so now.
  const firstOrder = p.method === 'gd' || p.method === 'adam';
  const foreign = (firstOrder ? ['damping', 'regularization', 'alpha', 'epsilon'] : ['learningRate']).find((k) => p[k] !== undefined);
  if (foreign) throw bad(where, `'${foreign}' does not apply to method '${String(p.method)}' (${firstOrder ? 'damping, regularization, alpha and epsilon are for newton and gauss-newton' : 'learningRate is for gd and adam'})`);
  const optional = ['learningRate', 'damping', 'regularization', 'alpha', 'epsilon', 'targetLoss', 'timeLimitSeconds'] as const;
  const diagnostics = (p.diagnostics as { components?: boolean; ntkModes?: boolean } | undefined) ?? {};
  if (p.loss !== undefined && p.loss !== 'square' && diagnostics.ntkModes) throw bad(where, "diagnostics.ntkModes projects f - y: it needs loss 'square'");
  if (p.huberDelta !== undefined && p.loss !== 'huber') throw bad(where, "'huberDelta' is the width of the Huber loss; it needs loss 'huber'");
  if (p.init === 'symmetric' && (p.width as number) % 2 !== 0) throw bad(where, `init 'symmetric' pairs neurons: the width ${String(p.width)} must be even`);
  // The setting's fields only where they differ from the defaults, so that every earlier job keeps its key;
  // the groups in one order, so that ['b', 'W'] and ['W', 'b'] are the same job.
  const trainable = (['W', 'b', 'c'] as const).filter((g) => ((p.trainable as string[] | undefined) ?? ['W', 'b', 'c']).includes(g));
  const setting = {
    ...(p.init === 'symmetric' ? { init: 'symmetric' as const } : {}),
    ...(p.outputScale !== undefined && p.outputScale !== 1 ? { outputScale: p.outputScale as number } : {}),
    ...(trainable.length < 3 ? { trainable } : {}),
    ...(p.outputWeights === 'signs' ? { outputWeights: 'signs' as const } : {}),
    ...(p.loss !== undefined && p.loss !== 'square' ? { loss: p.loss as 'logistic' | 'huber' } : {}),
    ...(p.huberDelta !== undefined ? { huberDelta: p.huberDelta as number } : {}),
  };
  return {
    experiment, ...network, ...setting, method: p.method as Method, iterations: p.iterations as number,
    ...(Object.fromEntries(optional.filter((k) => p[k] !== undefined).map((k) => [k, p[k]])) as { damping?: Damping }),
    record: (p.record as { perDecade?: number; every?: number } | undefined) ?? { perDecade: 20 },
    diagnostics: { components: diagnostics.components ?? true, ntkModes: diagnostics.ntkModes ?? false },
  };
}

export interface PlannedSweep {
  name: string;
  spec: SweepSpec;
  /** Distinct jobs, in the spec's order. */
  jobs: Job[];
  /** Grid points that repeated an earlier job exactly (same key), dropped. */
  duplicates: number;
}

/** The jobs of a checked spec; file paths in it are relative to baseDir. */
export function expandSpec(spec: SweepSpec, baseDir: string): PlannedSweep {
  const data = new DataCache(baseDir);
  const defaults = spec.defaults ?? {};
  const jobs: Job[] = [];
  // A block written at the top level is the first block.
  const top: SweepBlock[] = spec.experiment
    ? [{ experiment: spec.experiment, ...(spec.fixed ? { fixed: spec.fixed } : {}), ...(spec.grid ? { grid: spec.grid } : {}), ...(spec.trials ? { trials: spec.trials } : {}) }]
    : [];
  const blocks = [...top, ...(spec.sweeps ?? [])];
  blocks.forEach((block, b) => {
    const where = spec.experiment ? (b === 0 ? '(the top-level block)' : `sweeps[${b - 1}]`) : `sweeps[${b}]`;
    const axes = Object.entries(block.grid ?? {}).map(([name, list]) => [name, axisValues(list, `${where}.grid.${name}`)] as [string, unknown[]]);
    const points = product(axes);
    if (block.trials && (block.fixed?.seed !== undefined || block.grid?.seed !== undefined || block.fixed?.trial !== undefined || block.grid?.trial !== undefined)) {
      throw bad(where, "'trials' sets each job's seed and trial; leave seed and trial out of fixed and grid");
    }
    for (const point of points) {
      const params: Record<string, unknown> = { ...defaults, ...block.fixed, ...point };
      const copies = block.trials?.count ?? 1;
      for (let k = 0; k < copies; k++) {
        const at = `${where} (${Object.entries(point).map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(', ') || 'its fixed parameters'})`;
        if (block.trials) {
          if (params.width === undefined) throw bad(at, "'trials' derives seeds from the width: give 'width'");
          params.seed = trialSeed(block.trials.baseSeed ?? 0, params.width as number, k);
          if (block.experiment === 'one-step') params.trial = k;
        }
        jobs.push(makeJob(block.experiment, params, at, data, block.name));
      }
      if (jobs.length > MAX_JOBS) throw bad(where, `the spec has over ${MAX_JOBS} jobs`);
    }
  });
  (spec.jobs ?? []).forEach((job, k) => {
    const { experiment, ...params } = job;
    jobs.push(makeJob(experiment, { ...defaults, ...params }, `jobs[${k}]`, data));
  });
  const seen = new Set<string>();
  const distinct = jobs.filter((j) => {
    const key = jobKey(j);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const plan = Object.freeze({ name: spec.name ?? 'sweep', spec, jobs: Object.freeze(distinct) as Job[], duplicates: jobs.length - distinct.length });
  made.add(plan);
  return plan;
}

/** planSweep for a file: JSON or YAML, paths relative to the file. */
export function planSweep(path: string): PlannedSweep {
  return expandSpec(readSpec(path), dirname(path));
}
