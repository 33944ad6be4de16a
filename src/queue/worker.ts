/**
 * `nntk worker`: takes jobs from the BullMQ queue and runs them, `workers` at a time, each on a worker
 * thread with `threadsPerWorker` BLAS threads (workers x threads <= cores, no oversubscription).
 *
 * Why piscina and not BullMQ's sandboxed processors (useWorkerThreads): the job must run off the main
 * thread, because BullMQ renews each job's lock from the main thread's timers; a native step that
 * blocks the event loop for longer than the lock lasts would let other workers think this one died
 * and run the job a second time. Both keep the main thread free. piscina is chosen because it reuses
 * the local sweep's worker (src/runner/worker.ts: executeJob with its per-thread JobContext, whose
 * cached reference kernels and data sets outlive a job) and gives each thread its BLAS thread count at
 * start-up, while a sandboxed processor would be a second entry point, taking a file that must be
 * compiled JavaScript (not the .ts sources tests run from) and starting threads per job on its own terms.
 *
 * A job whose executeJob answers {ok:false} is a failed attempt: BullMQ retries it with exponential
 * backoff until its attempts (set at submit) are used up, then marks it failed with the error. A worker
 * process that dies loses its locks; after lockSeconds another worker's stalled-job check puts the job
 * back on the queue (at most MAX_STALLS times; then it is failed as a crash).
 */
import { setMaxListeners } from 'node:events';
import { createRequire } from 'node:module';
import { availableParallelism, hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { type Job as BullJob, Worker } from 'bullmq';
import { Piscina } from 'piscina';
import { packageVersion } from '../about.js';
import { NntkError } from '../errors.js';
import { errorText } from '../experiments/execute.js';
import type { Job } from '../experiments/jobs.js';
import type { WorkerAnswer } from '../runner/worker.js';
import { checkQueueName, checkReachable, DEFAULT_QUEUE_NAME, describeAddress, parseRedisUrl, redisOptions } from './connection.js';
import { type AttemptInfo, encodeResult, MAX_STALLS, type QueueJobData } from './messages.js';

export interface QueueWorkerOptions {
  url: string;
  queue?: string;
  /** Jobs run at once (worker threads; default: one per core). */
  workers?: number;
  /** BLAS threads of each worker thread (default: cores / workers). */
  threadsPerWorker?: number;
  /** How long a job's lock lasts without renewal; a dead worker's jobs go back to the queue after about this long (default 30). */
  lockSeconds?: number;
  /** Cores to share out (default: all of this machine's). */
  cores?: number;
  /** Stop taking jobs, finish the running ones, and resolve. */
  signal?: AbortSignal;
  /** One line per event (started, job finished or failed). */
  log?: (line: string) => void;
}

export interface QueueWorkerSummary {
  workers: number;
  threadsPerWorker: number;
  completed: number;
  /** Failed attempts (each retried while attempts remain). */
  failedAttempts: number;
  seconds: number;
}

/** Running from the TypeScript sources (tests, tsx): the worker threads need tsx's loader too. */
const fromSource = import.meta.url.endsWith('.ts');

function countOption(v: number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1 || v > 4096) throw new NntkError('E_ARGUMENT', `${what} must be an integer from 1 to 4096 (got ${String(v)})`);
  return v;
}

/** Worker threads and BLAS threads each, with workers x threads <= cores. */
export function partitionCores(o: Pick<QueueWorkerOptions, 'workers' | 'threadsPerWorker' | 'cores'>): { workers: number; threadsPerWorker: number } {
  const cores = countOption(o.cores, 'cores') ?? availableParallelism();
  const threadsPerWorker = countOption(o.threadsPerWorker, 'threadsPerWorker');
  const workers = countOption(o.workers, 'workers') ?? Math.max(1, Math.floor(cores / (threadsPerWorker ?? 1)));
  const threads = threadsPerWorker ?? Math.max(1, Math.floor(cores / workers));
  if (workers * threads > cores) {
    throw new NntkError(
      'E_ARGUMENT',
      `${workers} workers x ${threads} BLAS threads = ${workers * threads} threads on ${cores} cores would oversubscribe them; give fewer --workers or --threads-per-worker (workers x threads <= ${cores})`,
    );
  }
  return { workers, threadsPerWorker: threads };
}

function createPool(workers: number, threadsPerWorker: number): Piscina<Job, WorkerAnswer> {
  return new Piscina<Job, WorkerAnswer>({
    filename: new URL(`../runner/worker${fromSource ? '.ts' : '.js'}`, import.meta.url).href,
    // The threads inherit the process's flags; a process running from source without tsx's loader of its
    // own (vitest) gives them the loader, by URL so that the working directory does not matter.
    ...(fromSource && !process.execArgv.some((a) => a.includes('tsx'))
      ? { execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] }
      : {}),
    minThreads: workers,
    maxThreads: workers,
    // Exactly `workers` jobs are in flight (BullMQ's concurrency); nothing waits in piscina's queue.
    maxQueue: workers,
    idleTimeout: 60_000,
    workerData: { threads: threadsPerWorker },
  });
}

export async function runQueueWorker(o: QueueWorkerOptions): Promise<QueueWorkerSummary> {
  const started = performance.now();
  const address = parseRedisUrl(o.url);
  const name = checkQueueName(o.queue ?? DEFAULT_QUEUE_NAME);
  const lockSeconds = o.lockSeconds ?? 30;
  if (typeof lockSeconds !== 'number' || !(lockSeconds >= 0.1) || lockSeconds > 86_400) {
    throw new NntkError('E_ARGUMENT', `lockSeconds must be a number of seconds from 0.1 to 86400 (got ${String(lockSeconds)})`);
  }
  const { workers, threadsPerWorker } = partitionCores(o);
  const log = o.log ?? (() => {});
  await checkReachable(address);

  const host = hostname();
  const version = packageVersion();
  const pool = createPool(workers, threadsPerWorker);
  const summary: QueueWorkerSummary = { workers, threadsPerWorker, completed: 0, failedAttempts: 0, seconds: 0 };

  const processor = async (job: BullJob<QueueJobData>): Promise<string> => {
    let answer: WorkerAnswer;
    try {
      answer = await pool.run(job.data.job);
    } catch (e) {
      // The thread itself died (out of memory, a thrown error outside executeJob): a failed attempt.
      answer = { ok: false, error: `crash: the worker thread running the job died: ${errorText(e)}`, seconds: 0 };
    }
    if (!answer.ok) {
      const info: AttemptInfo = { host, pid: process.pid, seconds: answer.seconds };
      await job.updateProgress(info as unknown as object);
      summary.failedAttempts++;
      log(`job ${job.id} (${job.name}) attempt ${job.attemptsMade + 1} failed: ${answer.error}`);
      throw new Error(answer.error);
    }
    summary.completed++;
    log(`job ${job.id} (${job.name}) done in ${answer.output.seconds.toFixed(3)} s`);
    return encodeResult({ output: answer.output, host, pid: process.pid, version });
  };

  const worker = new Worker<QueueJobData, string>(name, processor, {
    connection: redisOptions(address),
    concurrency: workers,
    // Shown as each job's processedBy: which process on which host holds it.
    name: `${host}:${process.pid}`,
    lockDuration: Math.round(lockSeconds * 1000),
    stalledInterval: Math.round(lockSeconds * 1000),
    maxStalledCount: MAX_STALLS,
    // Waiting for jobs blocks on Redis for at most this long; closing waits for it.
    drainDelay: Math.min(5, Math.max(1, Math.round(lockSeconds))),
    autorun: false,
  });
  worker.on('error', (e) => log(`queue error: ${errorText(e)}`));

  const stop = () => {
    log(`stopping: finishing the running jobs (at most ${workers})`);
    void worker.close();
  };
  if (o.signal) {
    setMaxListeners(64, o.signal);
    if (o.signal.aborted) stop();
    else o.signal.addEventListener('abort', stop, { once: true });
  }
  log(`worker ${host}:${process.pid} on queue '${name}' at ${describeAddress(address)}: ${workers} workers x ${threadsPerWorker} BLAS threads, ${lockSeconds} s locks`);
  try {
    if (!o.signal?.aborted) await worker.run();
    await worker.close();
  } finally {
    o.signal?.removeEventListener('abort', stop);
    await pool.destroy();
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
