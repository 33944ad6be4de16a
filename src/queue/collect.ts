/**
 * `nntk sweep collect`: moves the queue's finished jobs into the SQLite store: a completed job's output
 * with store.complete, a job that failed for good with store.fail and its last error. The jobs stay in
 * Redis (collecting reads, it never takes), so any number of collects, into one store or several, may
 * run at any time: each job is written to a store at most once, because the check of its status and the
 * write happen in one IMMEDIATE transaction (it holds the store's write lock from its first statement,
 * so two collects on one file cannot both see 'pending' and both write). With `follow`, collect keeps
 * going until no job is waiting, delayed or running.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Job as BullJob, Queue } from 'bullmq';
import { NntkError } from '../errors.js';
import { jobKey } from '../experiments/jobs.js';
import type { ResultsStore } from '../store/results-store.js';
import { checkQueueName, checkReachable, DEFAULT_QUEUE_NAME, parseRedisUrl, redisOptions } from './connection.js';
import { type AttemptInfo, decodeResult, MAX_STALLS, type QueueJobData } from './messages.js';

export interface CollectOptions {
  url: string;
  queue?: string;
  store: ResultsStore;
  /** Keep collecting until every job on the queue has finished (default: one pass). */
  follow?: boolean;
  /** Between passes when following (default 0.5 s). */
  pollSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (p: CollectProgress) => void;
}

export interface CollectProgress {
  /** Results written into the store by this collect. */
  stored: number;
  /** Final failures written into the store by this collect. */
  failed: number;
  /** Finished jobs the store already had (collected before, or by another collect). */
  alreadyStored: number;
  /** Jobs on the queue not finished yet (waiting, delayed or running), at the last pass. */
  unfinished: number;
}

export interface CollectSummary extends CollectProgress {
  /** Failed jobs on the queue at the end (including those collected before). */
  queueFailed: number;
  seconds: number;
}

// A paused queue keeps its waiting jobs in 'wait'.
const UNFINISHED = ['wait', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
const FETCH = 200;

/** The error stored for a job that failed on the queue for good. */
export function failureText(job: Pick<BullJob, 'failedReason' | 'stalledCounter'>): string {
  const reason = job.failedReason || 'unknown error';
  // BullMQ's own words when a job's worker process died more often than maxStalledCount allows.
  if (/stalled more than allowable limit/.test(reason)) {
    return `crash: the worker process running the job died ${MAX_STALLS + 1} times (its lock expired each time; ${reason})`;
  }
  return reason;
}

export async function collectResults(o: CollectOptions): Promise<CollectSummary> {
  const started = performance.now();
  const address = parseRedisUrl(o.url);
  const name = checkQueueName(o.queue ?? DEFAULT_QUEUE_NAME);
  const pollMs = Math.round((o.pollSeconds ?? 0.5) * 1000);
  if (!(pollMs >= 1) || !Number.isFinite(pollMs)) throw new NntkError('E_ARGUMENT', `pollSeconds must be a positive number (got ${String(o.pollSeconds)})`);
  const store = o.store;
  await checkReachable(address);

  const status = store.db.prepare('SELECT status FROM jobs WHERE key = ?').pluck();
  // Where and by what the job ran: the store's complete() takes the host, but writes the collecting process's
  // version, and fail() neither.
  const ranAt = store.db.prepare('UPDATE jobs SET host = ?, pid = ?, version = coalesce(?, version), attempts = ? WHERE key = ?');

  const progress: CollectProgress = { stored: 0, failed: 0, alreadyStored: 0, unfinished: 0 };
  /** Ids this collect has dealt with (or found dealt with) in each list: not fetched again. A job may
   * move from failed to completed (retried), so the lists have a set each. */
  const seen = { completed: new Set<string>(), failed: new Set<string>() };

  /** Writes a batch of finished jobs; returns nothing, counts into progress. */
  const write = store.db.transaction((jobs: BullJob<QueueJobData>[], finished: 'completed' | 'failed') => {
    for (const job of jobs) {
      if (job.data === null || typeof job.data !== 'object' || job.data.job === null || typeof job.data.job !== 'object') {
        throw new Error(`queue '${name}': job ${job.id} holds no nntk job; was it added by something other than nntk sweep submit?`);
      }
      const key = jobKey(job.data.job);
      if (key !== job.id) throw new Error(`queue '${name}': job ${job.id} holds a job whose key is ${key}; was it added by something other than nntk sweep submit?`);
      store.plan([job.data.job]);
      const now = status.get(key) as string;
      if (finished === 'completed') {
        if (now === 'done') {
          progress.alreadyStored++;
          continue;
        }
        const result = decodeResult(job.returnvalue);
        // complete() itself also leaves a job that is done alone (false), the check above spares the decoding.
        if (store.complete(key, result.output, { host: result.host })) {
          ranAt.run(result.host, result.pid, result.version, job.attemptsStarted, key);
          progress.stored++;
        } else {
          progress.alreadyStored++;
        }
      } else {
        // A job retried after a final failure (submit --retry-failed) may complete later: 'failed' is
        // replaced by 'done' then, never the other way.
        if (now === 'done' || now === 'failed') {
          progress.alreadyStored++;
          continue;
        }
        const info = (job.progress ?? {}) as Partial<AttemptInfo>;
        store.fail(key, failureText(job), typeof info.seconds === 'number' ? info.seconds : 0);
        ranAt.run(info.host ?? null, info.pid ?? null, null, job.attemptsStarted, key);
        progress.failed++;
      }
    }
  });

  const queue = new Queue<QueueJobData>(name, { connection: redisOptions(address) });
  queue.on('error', () => {});
  try {
    const pass = async (finished: 'completed' | 'failed') => {
      const ids = (await queue.getRanges([finished], 0, -1, true)).filter((id) => !seen[finished].has(id));
      for (let start = 0; start < ids.length; start += FETCH) {
        const jobs = (await Promise.all(ids.slice(start, start + FETCH).map((id) => queue.getJob(id)))).filter((j) => j !== undefined) as BullJob<QueueJobData>[];
        // Still finished? A failed job may have been retried between the listing and the fetch.
        const still = jobs.filter((j) => (finished === 'completed' ? j.finishedOn !== undefined && j.returnvalue !== null : j.finishedOn !== undefined && Boolean(j.failedReason)));
        write.immediate(still, finished);
        for (const j of still) seen[finished].add(j.id!);
      }
    };
    for (;;) {
      // Counted before the finished lists are read: when nothing was unfinished then, this pass sees every job.
      const counts = await queue.getJobCounts(...UNFINISHED);
      progress.unfinished = UNFINISHED.reduce((s, t) => s + (counts[t] ?? 0), 0);
      await pass('completed');
      await pass('failed');
      o.onProgress?.({ ...progress });
      if (!o.follow || progress.unfinished === 0 || o.signal?.aborted) break;
      try {
        await sleep(pollMs, undefined, o.signal ? { signal: o.signal } : {});
      } catch {
        break; // aborted
      }
    }
    const queueFailed = await queue.getFailedCount();
    return { ...progress, queueFailed, seconds: (performance.now() - started) / 1000 };
  } finally {
    await queue.close();
  }
}
