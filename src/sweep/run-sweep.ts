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
import type { Job } from '../experiments/jobs.js';
import type { RunDescription } from '../report/types.js';
import { type Progress, runJobs, type RunOptions, type RunSummary } from '../runner/pool.js';
import { ResultsStore } from '../store/results-store.js';
import { describeJobs } from './describe.js';
import { expandSpec, type PlannedSweep } from './expand.js';
import { type Shard, shardJobs } from './shard.js';
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
  /** Run again the jobs that failed before. */
  retryFailed?: boolean;
  /** A job running longer is marked failed and the sweep goes on. */
  jobTimeoutSeconds?: number;
  /** A job whose process died this many times while running it is marked failed instead of run again (default 3). */
  maxAttempts?: number;
  /** Run only this share of the jobs (array schedulers); see src/sweep/shard.ts. */
  shard?: Shard;
  /** Directory that relative data paths of a spec object are read from (default: the working directory). */
  baseDir?: string;
  onProgress?: (p: Progress) => void;
  /** Stops dispatching; jobs in flight finish or are abandoned (and rerun by the next run). */
  signal?: AbortSignal;
  /** Recorded with the run (default 'runSweep'). */
  command?: string;
  /** Recorded instead of the description derived from the jobs (nntk reproduce uses this). */
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
  if (typeof spec === 'string') {
    const path = resolve(spec);
    return expandSpec(readSpec(path), dirname(path));
  }
  return expandSpec(checkSpec(spec), baseDir ?? process.cwd());
}

function positiveCount(value: number | undefined, name: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= 4096)) {
    throw new NntkError('E_ARGUMENT', `${name} must be an integer from 1 to 4096 (got ${String(value)})`);
  }
}

/** Workers and threads as runJobs takes them: threads in all, and workers. */
export function threadPlan(o: Pick<SweepOptions, 'workers' | 'threadsPerWorker' | 'threads'>): { threads: number; workers?: number } {
  positiveCount(o.workers, 'workers');
  positiveCount(o.threadsPerWorker, 'threadsPerWorker');
  positiveCount(o.threads, 'threads');
  if (o.threadsPerWorker !== undefined) {
    const workers = o.workers ?? Math.max(1, Math.floor((o.threads ?? availableParallelism()) / o.threadsPerWorker));
    return { threads: workers * o.threadsPerWorker, workers };
  }
  return { threads: o.threads ?? availableParallelism(), ...(o.workers !== undefined ? { workers: o.workers } : {}) };
}

/**
 * Runs a sweep: `spec` is a spec file's path (JSON or YAML; data paths relative to it) or a spec object
 * (data paths relative to o.baseDir). Resolves when every job of the spec (or of the shard) is done or
 * failed, or when o.signal aborts; a bad spec rejects with NntkError E_ARGUMENT naming the field.
 */
export async function runSweep(spec: SweepSpec | string, o: SweepOptions): Promise<SweepResult> {
  return runPlannedSweep(planOf(spec, o?.baseDir), o);
}

/** runSweep for a spec already planned (planOf), e.g. to report spec errors apart from run errors. */
export async function runPlannedSweep(plan: PlannedSweep, o: SweepOptions): Promise<SweepResult> {
  if (typeof o?.db !== 'string' || o.db === '') throw new NntkError('E_ARGUMENT', 'runSweep needs { db: "FILE.sqlite" }: the store results go into');
  if (o.jobTimeoutSeconds !== undefined && !(o.jobTimeoutSeconds > 0 && Number.isFinite(o.jobTimeoutSeconds))) {
    throw new NntkError('E_ARGUMENT', `jobTimeoutSeconds must be a positive number of seconds (got ${String(o.jobTimeoutSeconds)})`);
  }
  positiveCount(o.maxAttempts, 'maxAttempts');
  const started = performance.now();
  const jobs: Job[] = o.shard ? shardJobs(plan.jobs, o.shard) : plan.jobs;
  const threads = threadPlan(o);
  const store = new ResultsStore(resolve(o.db), packageVersion());
  try {
    const keys = store.plan(jobs);
    const runOptions: RunOptions & { jobTimeoutSeconds?: number; maxAttempts?: number } = {
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
