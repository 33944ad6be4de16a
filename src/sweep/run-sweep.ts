/**
 * runSweep: a sweep from its spec to a finished SQLite store, for other tools and for `nntk sweep run`.
 * The spec's jobs (or this shard's share of them) are planned into the store, the ones not done yet run
 * on worker threads of this machine (src/runner/pool.ts), and each result is committed as it arrives;
 * running it again, or with an extended spec, runs only what is missing.
 */
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { machineDescription, packageVersion } from '../about.js';
import { NntkError } from '../errors.js';
import { describe, invalid, isAbortSignal, isPlainObject, requireKnownKeys } from '../validate.js';
import type { Job } from '../experiments/jobs.js';
import type { RunDescription } from '../report/types.js';
import { type Progress, runJobs, type RunOptions, type RunSummary } from '../runner/pool.js';
import { ResultsStore } from '../store/results-store.js';
import { MAX_JOB_TIMEOUT_SECONDS } from './job-timeout.js';
import { describeJobs } from './describe.js';
import { expandSpec, type PlannedSweep, requirePlan } from './expand.js';
import { parseShard, type Shard, shardJobs } from './shard.js';
import { checkSpec, readSpec, type SweepSpec } from './spec.js';

export interface SweepOptions {
  /** The SQLite file (created when missing; WAL mode). */
  db: string;
  /** Worker threads (default: one per core, at most `threads`). */
  workers?: number;
  /** BLAS threads of each worker (default: floor(threads / workers)). */
  threadsPerWorker?: number;
  /** Cores to use in all (default: all of them); ignored when both workers and threadsPerWorker are given. */
  threads?: number;
  /** Run again the jobs that failed before (default false: they stay failed). */
  retryFailed?: boolean;
  /** A job running longer is marked failed and the sweep goes on. Default: none (no time limit). */
  jobTimeoutSeconds?: number;
  /** A job whose process died this many times while running it is marked failed instead of run again (default 3). */
  maxAttempts?: number;
  /** Run only this share of the jobs (array schedulers); see src/sweep/shard.ts. Default: all the jobs. */
  shard?: Shard;
  /** Directory that relative data paths of a spec object are read from (default: the working directory). */
  baseDir?: string;
  /** Called after each job with the counts done, failed and left. Default: none. */
  onProgress?: (p: Progress) => void;
  /** Stops dispatching; jobs in flight finish or are abandoned (and rerun by the next run). Default: none. */
  signal?: AbortSignal;
  /** Recorded with the run (default 'runSweep'). */
  command?: string;
  /** Recorded instead of the description derived from the jobs (nntk reproduce uses this). Default: derived. */
  description?: RunDescription;
}

export interface SweepResult extends RunSummary {
  name: string;
  db: string;
  /** Jobs of the spec (all shards), and of this run's shard. */
  planned: number;
  shardJobs: number;
  shard: Shard | null;
  keys: string[];
}

/** The spec as a plan: a path (JSON or YAML, data paths relative to it) or a spec object. */
export function planOf(spec: SweepSpec | string, baseDir?: string): PlannedSweep {
  if (baseDir !== undefined && typeof baseDir !== 'string') throw invalid('E_ARGUMENT', 'baseDir', 'a directory path', baseDir);
  if (typeof spec === 'string') {
    if (spec === '') throw invalid('E_ARGUMENT', 'spec', 'a spec object or the path of a JSON / YAML spec file', spec);
    const path = resolve(spec);
    return expandSpec(readSpec(path), dirname(path));
  }
  return expandSpec(checkSpec(spec), baseDir ?? process.cwd());
}

function positiveCount(value: number | undefined, name: string): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 4096)) {
    throw new NntkError('E_ARGUMENT', `${name} must be an integer from 1 to 4096 (got ${describe(value)})`);
  }
}

const OPTION_KEYS = ['db', 'workers', 'threadsPerWorker', 'threads', 'retryFailed', 'jobTimeoutSeconds', 'maxAttempts', 'shard', 'baseDir',
  'onProgress', 'signal', 'command', 'description'] as const;

/**
 * The options, read once (a getter is not read twice) and checked: unknown keys, types and ranges,
 * before the store is opened or a thread started.
 */
export function readSweepOptions(value: unknown): SweepOptions {
  if (!isPlainObject(value)) throw invalid('E_ARGUMENT', 'runSweep options', 'an object { db, workers?, threadsPerWorker?, onProgress?, signal?, ... }', value);
  requireKnownKeys(value, 'runSweep options', OPTION_KEYS);
  const o = Object.fromEntries(OPTION_KEYS.filter((k) => value[k] !== undefined).map((k) => [k, value[k]])) as Record<string, unknown>;
  if (typeof o.db !== 'string' || o.db === '') throw invalid('E_ARGUMENT', 'db', 'the path of an SQLite file (a non-empty string)', o.db, 'results go into it');
  positiveCount(o.workers as number | undefined, 'workers');
  positiveCount(o.threadsPerWorker as number | undefined, 'threadsPerWorker');
  positiveCount(o.threads as number | undefined, 'threads');
  positiveCount(o.maxAttempts as number | undefined, 'maxAttempts');
  if (o.jobTimeoutSeconds !== undefined && !(typeof o.jobTimeoutSeconds === 'number' && o.jobTimeoutSeconds > 0 && o.jobTimeoutSeconds <= MAX_JOB_TIMEOUT_SECONDS)) {
    throw invalid('E_ARGUMENT', 'jobTimeoutSeconds', `a positive number of seconds (at most ${MAX_JOB_TIMEOUT_SECONDS}, 24 days: the longest timer Node.js keeps)`, o.jobTimeoutSeconds, 'leave it out for no time limit');
  }
  if (o.retryFailed !== undefined && typeof o.retryFailed !== 'boolean') throw invalid('E_ARGUMENT', 'retryFailed', 'a boolean', o.retryFailed);
  for (const k of ['baseDir', 'command'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw invalid('E_ARGUMENT', k, 'a string', o[k]);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalid('E_ARGUMENT', 'onProgress', 'a function (progress) => void', o.onProgress);
  if (o.signal !== undefined && !isAbortSignal(o.signal)) throw invalid('E_ARGUMENT', 'signal', 'an AbortSignal', o.signal);
  if (o.shard !== undefined) {
    const shard = o.shard as Record<string, unknown>;
    if (!isPlainObject(shard) || typeof shard.index !== 'number' || typeof shard.count !== 'number') {
      throw invalid('E_ARGUMENT', 'shard', 'an object { index, count } with 0 <= index < count', o.shard);
    }
    o.shard = parseShard(`${shard.index}/${shard.count}`);
  }
  if (o.description !== undefined && !isPlainObject(o.description)) throw invalid('E_ARGUMENT', 'description', 'a run description object', o.description);
  return o as unknown as SweepOptions;
}

/**
 * Workers and threads as runJobs takes them: threads in all, and workers. Never more threads than
 * cores (workers x BLAS threads <= cores): an explicit workers x threadsPerWorker beyond the machine is
 * refused, and `threads` is capped at the number of cores.
 */
export function threadPlan(o: Pick<SweepOptions, 'workers' | 'threadsPerWorker' | 'threads'>, cores = availableParallelism()): { threads: number; workers?: number } {
  positiveCount(o.workers, 'workers');
  positiveCount(o.threadsPerWorker, 'threadsPerWorker');
  positiveCount(o.threads, 'threads');
  const threads = Math.min(o.threads ?? cores, cores);
  if (o.threadsPerWorker !== undefined) {
    const workers = o.workers ?? Math.max(1, Math.floor(threads / o.threadsPerWorker));
    if (workers * o.threadsPerWorker > cores) {
      throw new NntkError(
        'E_ARGUMENT',
        `${workers} workers x ${o.threadsPerWorker} BLAS threads would oversubscribe this machine's ${cores} cores; keep workers x threadsPerWorker <= ${cores}`,
      );
    }
    return { threads: workers * o.threadsPerWorker, workers };
  }
  return { threads, ...(o.workers !== undefined ? { workers: Math.min(o.workers, threads) } : {}) };
}

/**
 * Runs a sweep: `spec` is a spec file's path (JSON or YAML; data paths relative to it) or a spec object
 * (data paths relative to o.baseDir). Resolves when every job of the spec (or of the shard) is done or
 * failed, or when o.signal aborts; a bad spec rejects with NntkError E_ARGUMENT naming the field.
 */
export async function runSweep(spec: SweepSpec | string, options: SweepOptions): Promise<SweepResult> {
  const o = readSweepOptions(options);
  return runPlannedSweep(planOf(spec, o.baseDir), o);
}

/** runSweep for a spec already planned (planOf), e.g. to report spec errors apart from run errors. */
export async function runPlannedSweep(plan: PlannedSweep, options: SweepOptions): Promise<SweepResult> {
  requirePlan(plan);
  const o = readSweepOptions(options);
  const started = performance.now();
  const jobs: Job[] = o.shard ? shardJobs(plan.jobs, o.shard) : plan.jobs;
  const threads = threadPlan(o);
  const store = new ResultsStore(resolve(o.db), packageVersion());
  try {
    const keys = store.plan(jobs);
    const runOptions: RunOptions = {
      ...threads,
      retryFailed: o.retryFailed === true,
      ...(o.jobTimeoutSeconds !== undefined ? { jobTimeoutSeconds: o.jobTimeoutSeconds } : {}),
      ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    };
    const summary = await runJobs(store, keys, runOptions);
    const description = o.description ?? describeJobs(plan.name, jobs, o.command ?? 'runSweep');
    description.workers = summary.workers;
    description.threads = threads.threads;
    description.version = packageVersion();
    description.machine = machineDescription();
    description.wallSeconds = (performance.now() - started) / 1000;
    store.recordRun(description, keys);
    return { ...summary, name: plan.name, db: resolve(o.db), planned: plan.jobs.length, shardJobs: jobs.length, shard: o.shard ?? null, keys };
  } finally {
    store.close();
  }
}
