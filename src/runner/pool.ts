/**
 * Runs jobs on worker threads (piscina) and records each result in the store as it arrives. The cores
 * are shared out without oversubscription: `workers` threads each running BLAS with `threads / workers`
 * threads. Jobs run largest first (shortest makespan); finished jobs are skipped, so a run that was
 * interrupted continues where it stopped.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits, Worker } from 'node:worker_threads';
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
  /** A job running longer is marked failed (its worker thread is replaced) and the run goes on. */
  jobTimeoutSeconds?: number;
  /** A job whose process died this many times while running it is marked failed (default 3). */
  maxAttempts?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /**
   * The piscina worker module (default: ./worker.js beside this file, which runs executeJob). Tests pass
   * a fixture (test/fixtures/faulty-worker.mjs) whose jobs hang, crash or exhaust memory on purpose, so
   * that no fault hook exists in the shipped worker or in the spec language. A .ts file is loaded
   * through tsx.
   */
  workerFile?: string | URL;
  /** Limits of each worker thread (Node's resourceLimits): a job past them fails ("crash: ...") alone. */
  resourceLimits?: ResourceLimits;
}

export interface Progress {
  done: number;
  failed: number;
  total: number;
  /** Cost-weighted fraction done, for the ETA. */
  fraction: number;
  /** Jobs found finished in the store before this run started. */
  skipped: number;
  /** Jobs finished per minute in this run, and the estimated seconds left (null until a job finished). */
  jobsPerMinute: number | null;
  etaSeconds: number | null;
  lastError?: string;
}

export interface RunSummary extends Progress {
  workers: number;
  threadsPerWorker: number;
  seconds: number;
  /** The run was stopped by its signal; unfinished jobs are pending again. */
  aborted: boolean;
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

/** Why a dispatched job did not come back with an answer. */
function failureOf(e: unknown, timedOut: boolean, timeout: number | undefined): string {
  if (timedOut) return `timeout: the job ran longer than --job-timeout ${timeout} s`;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') return `crash: its worker thread ran out of memory (${message})`;
  return `crash: its worker thread died (${message})`;
}

/** The worker module's URL, and the loader flags a TypeScript one needs. */
function workerModule(file: string | URL | undefined): { filename: string; execArgv?: string[] } {
  const url = file === undefined ? new URL(`./worker${fromSource ? '.ts' : '.js'}`, import.meta.url) : file instanceof URL ? file : pathToFileURL(file);
  // Workers inherit the process's flags; a process without tsx's loader of its own (vitest) gives a
  // TypeScript worker the loader, by URL so that the working directory does not matter.
  const needsTsx = url.pathname.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx'));
  return { filename: url.href, ...(needsTsx ? { execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] } : {}) };
}

/**
 * Runs the given jobs of the store that are not finished: each is claimed when it is dispatched, and its
 * result (or failure) is committed in its own transaction when it comes back. `workers` lanes each run
 * one job at a time, so at most `workers` jobs are in flight and a job's clock starts when a thread is
 * free for it (a fresh thread's start, a fraction of a second, is counted in).
 *
 * A job past jobTimeoutSeconds is failed and aborted: piscina terminates its worker thread and starts
 * another. Terminating takes effect only when the thread next runs JavaScript: a thread inside a long
 * native call (a BLAS/LAPACK solve of the C++ core, a spawnSync) goes on computing until that call
 * returns. Its lane therefore waits for the old thread to exit before it takes its next job, so the
 * cores are never oversubscribed: at most `workers` threads compute, each with `threadsPerWorker` BLAS
 * threads, even while a timed-out thread finishes its native call (the other lanes go on meanwhile).
 * Asynchronous native work (training) stops at the thread's teardown (native/addon/train_glue.cpp).
 *
 * A worker thread that dies (an uncaught error, process.exit in the worker, resourceLimits exceeded)
 * fails its job only ("crash: ..."); piscina replaces the thread. On `signal` no new job is dispatched,
 * the jobs in flight are abandoned and put back to 'pending' (not counted as attempts), and the
 * summary says `aborted`.
 */
export async function runJobs(store: ResultsStore, keys: readonly string[], o: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  store.reclaimAbandoned(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {});
  const records = store.jobs(keys);
  const isTodo = (r: JobRecord) => r.status === 'pending' || (o.retryFailed === true && r.status === 'failed');
  const todo = records.filter(isTodo);
  const skipped = records.length - todo.length;
  const cost = (r: JobRecord) => jobCost(r.params);
  const totalCost = records.reduce((s, r) => s + cost(r), 0);
  let doneCost = records.filter((r) => !isTodo(r)).reduce((s, r) => s + cost(r), 0);
  const startCost = doneCost;
  const progress: Progress = {
    done: skipped,
    failed: records.filter((r) => r.status === 'failed' && !isTodo(r)).length,
    total: records.length,
    fraction: totalCost > 0 ? doneCost / totalCost : 1,
    skipped,
    jobsPerMinute: null,
    etaSeconds: null,
  };
  const { workers, threadsPerWorker } = partitionThreads(o.threads, todo.length, o.workers);
  o.onProgress?.({ ...progress });
  let aborted = o.signal?.aborted === true;
  if (todo.length > 0 && !aborted) {
    todo.sort((a, b) => cost(b) - cost(a));
    const pool = new Piscina<Job, WorkerAnswer>({
      ...workerModule(o.workerFile),
      minThreads: workers,
      maxThreads: workers,
      // The lanes keep every thread busy; an idle one (a lane waiting for a terminated thread) may stay.
      idleTimeout: 60_000,
      workerData: { threads: threadsPerWorker },
      ...(o.resourceLimits ? { resourceLimits: o.resourceLimits } : {}),
    });
    // Piscina emits 'error' for a thread that fails while it holds no job (it replaces the thread); with
    // no listener that event would throw in this process and end the sweep. (Rare: an idle piscina
    // thread blocks in Atomics.wait and runs no callbacks left behind by its last job.)
    pool.on('error', () => {});
    const stop = new AbortController();
    const stopped = once(stop.signal, 'abort');
    const onAbort = () => {
      aborted = true;
      stop.abort();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    type Outcome = { record: JobRecord; seconds: number } & (
      | { answer: WorkerAnswer }
      | { thrown: unknown; timedOut: boolean; terminated: Promise<unknown> | null }
    );
    let next = 0;
    /** Claims the next job and sends it to the pool; null when there is none (or the run stops). */
    const dispatch = (): Promise<Outcome> | null => {
      if (aborted || next >= todo.length) return null;
      const record = todo[next++]!;
      const timer = o.jobTimeoutSeconds !== undefined ? new AbortController() : null;
      const signal = timer ? AbortSignal.any([stop.signal, timer.signal]) : stop.signal;
      // The thread a timeout terminated, until it has exited (see above).
      let terminated: Promise<unknown> | null = null;
      const timeout = timer && setTimeout(() => {
        const before = pool.threads;
        // Piscina removes and terminates the job's thread synchronously, inside the abort.
        timer.abort();
        const gone = before.filter((w) => !pool.threads.includes(w));
        terminated = Promise.all(gone.map((w: Worker) => (w.threadId === -1 ? null : once(w, 'exit'))));
      }, o.jobTimeoutSeconds! * 1000);
      const t0 = performance.now();
      store.claim([record.key]);
      const seconds = () => (performance.now() - t0) / 1000;
      return pool.run(record.params, { signal }).then(
        (answer): Outcome => ({ record, seconds: seconds(), answer }),
        (thrown: unknown): Outcome => ({ record, seconds: seconds(), thrown, timedOut: timer?.signal.aborted === true, terminated }),
      ).finally(() => timeout && clearTimeout(timeout));
    };
    /** Commits a job's outcome (its own transaction) and reports progress. */
    const commit = (out: Outcome) => {
      const { record } = out;
      if ('answer' in out) {
        if (out.answer.ok) store.complete(record.key, out.answer.output);
        else {
          store.fail(record.key, out.answer.error, out.answer.seconds);
          progress.failed++;
          progress.lastError = out.answer.error;
        }
      } else {
        if (stop.signal.aborted) {
          store.release(record.key);
          return;
        }
        const error = failureOf(out.thrown, out.timedOut, o.jobTimeoutSeconds);
        store.fail(record.key, error, out.seconds);
        progress.failed++;
        progress.lastError = error;
      }
      progress.done++;
      doneCost += cost(record);
      progress.fraction = totalCost > 0 ? doneCost / totalCost : 1;
      const elapsed = (performance.now() - started) / 1000;
      progress.jobsPerMinute = (60 * (progress.done - skipped)) / elapsed;
      progress.etaSeconds = doneCost > startCost ? (elapsed / (doneCost - startCost)) * (totalCost - doneCost) : null;
      o.onProgress?.({ ...progress });
    };
    // `workers` lanes, each running one job at a time: a job is claimed only when a thread is free for
    // it. When a job comes back its lane dispatches the next one first and commits the result after, so
    // the thread does not wait for the store (each result is still committed in its own transaction).
    const lane = async () => {
      let running = dispatch();
      while (running) {
        const out = await running;
        const terminated = 'terminated' in out ? out.terminated : null;
        running = terminated ? null : dispatch();
        commit(out);
        if (terminated) {
          await Promise.race([terminated, stopped]);
          running = dispatch();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: workers }, lane));
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      stop.abort(); // releases the lanes' waits
      await pool.destroy();
    }
  }
  return { ...progress, workers, threadsPerWorker, seconds: (performance.now() - started) / 1000, aborted };
}
