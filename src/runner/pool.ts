/**
 * Runs jobs on worker threads (piscina) and records each result in the store as it arrives. The cores
 * are shared out without oversubscription: `workers` threads each running BLAS with `threads / workers`
 * threads. Jobs run largest first (shortest makespan); finished jobs are skipped, so a run that was
 * interrupted continues where it stopped.
 */
import { setMaxListeners } from 'node:events';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { type Job, jobCost } from '../experiments/jobs.js';
import type { JobRecord, ResultsStore } from '../store/results-store.js';
import type { WorkerAnswer } from './worker.js';

export interface RunOptions {
  /** Total threads to use (cores). */
  threads: number;
  /** Worker threads (default: one per core, at most threads and jobs); each gets floor(threads / workers) BLAS threads. */
  workers?: number;
  /** Also rerun jobs that failed before. */
  retryFailed?: boolean;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export interface Progress {
  done: number;
  failed: number;
  total: number;
  /** Cost-weighted fraction done, for the ETA. */
  fraction: number;
  /** Jobs found finished in the store before this run started. */
  skipped: number;
  lastError?: string;
}

export interface RunSummary extends Progress {
  workers: number;
  threadsPerWorker: number;
  seconds: number;
}

/**
 * Worker threads and BLAS threads per worker: by default one worker per core (at most `threads`, at
 * most one per job), each with floor(threads / workers) BLAS threads; an explicit `workers` is capped by
 * `threads` only.
 */
export function partitionThreads(threads: number, jobs: number, workers?: number): { workers: number; threadsPerWorker: number } {
  const w = Math.max(1, Math.min(workers ?? availableParallelism(), threads, Math.max(jobs, 1)));
  return { workers: w, threadsPerWorker: Math.max(1, Math.floor(threads / w)) };
}

/** Running from the TypeScript sources (tests, tsx): the workers need tsx's loader too. */
const fromSource = import.meta.url.endsWith('.ts');

export async function runJobs(store: ResultsStore, keys: readonly string[], o: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  store.reclaimAbandoned();
  const records = store.jobs(keys);
  const todo = records.filter((r) => r.status === 'pending' || r.status === 'running' || (o.retryFailed && r.status === 'failed'));
  const skipped = records.length - todo.length;
  const cost = (r: JobRecord) => jobCost(r.params);
  const totalCost = records.reduce((s, r) => s + cost(r), 0);
  let doneCost = records.filter((r) => !todo.includes(r)).reduce((s, r) => s + cost(r), 0);
  const progress: Progress = { done: skipped, failed: records.filter((r) => r.status === 'failed' && !todo.includes(r)).length, total: records.length, fraction: totalCost > 0 ? doneCost / totalCost : 1, skipped };
  const { workers, threadsPerWorker } = partitionThreads(o.threads, todo.length, o.workers);
  o.onProgress?.({ ...progress });
  if (todo.length > 0) {
    todo.sort((a, b) => cost(b) - cost(a));
    const pool = new Piscina<Job, WorkerAnswer>({
      // worker.js next to the compiled pool; worker.ts when running from source (tsx, vitest), loaded through tsx.
      filename: new URL(`./worker${fromSource ? '.ts' : '.js'}`, import.meta.url).href,
      // Workers inherit the process's flags; a process running from source without tsx's loader of its own
      // (vitest) gives them the loader, by URL so that the working directory does not matter.
      ...(fromSource && !process.execArgv.some((a) => a.includes('tsx'))
        ? { execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] }
        : {}),
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 1000,
      workerData: { threads: threadsPerWorker },
    });
    // Every queued job listens for the abort.
    if (o.signal) setMaxListeners(todo.length + 16, o.signal);
    // Claim every job for this process first: a job is 'running' while a live process holds it.
    store.claim(todo.map((r) => r.key));
    try {
      await Promise.all(
        todo.map(async (record) => {
          const answer = await pool.run(record.params, o.signal ? { signal: o.signal } : {});
          if (answer.ok) {
            store.complete(record.key, answer.output);
          } else {
            store.fail(record.key, answer.error, answer.seconds);
            progress.failed++;
            progress.lastError = answer.error;
          }
          progress.done++;
          doneCost += cost(record);
          progress.fraction = doneCost / totalCost;
          o.onProgress?.({ ...progress });
        }),
      );
    } finally {
      await pool.destroy();
    }
  }
  return { ...progress, workers, threadsPerWorker, seconds: (performance.now() - started) / 1000 };
}
