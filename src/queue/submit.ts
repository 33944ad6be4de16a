/**
 * `nntk sweep submit`: puts a sweep's jobs on a BullMQ queue, each under its job key as BullMQ job id,
 * so that submitting the same spec again (or an extended one) adds only the jobs that are not there.
 * Finished jobs stay in Redis (removeOnComplete/removeOnFail off): they are what collect reads, and
 * what makes a later submit of the same job a no-op. A failed attempt is retried after an
 * exponentially growing delay (backoff, 2 backoff, 4 backoff, ...) until `attempts` attempts have run.
 */
import { Queue } from 'bullmq';
import { NntkError } from '../errors.js';
import { type Job, jobCost, jobKey } from '../experiments/jobs.js';
import { checkQueueName, connectOnce, DEFAULT_QUEUE_NAME, parseRedisUrl, redisOptions } from './connection.js';
import type { QueueJobData } from './messages.js';

export interface SubmitOptions {
  /** redis://HOST:PORT[/DB] */
  url: string;
  /** Queue name (default 'nntk'). */
  queue?: string;
  /** Attempts per job before it is marked failed (default 3). */
  attempts?: number;
  /** The first retry's delay in seconds; each further retry waits twice as long (default 1). */
  backoffSeconds?: number;
  /** Put the jobs that failed for good back on the queue (their attempts start over). */
  retryFailed?: boolean;
}

export interface SubmitSummary {
  /** Distinct jobs asked for. */
  total: number;
  /** Jobs newly put on the queue. */
  added: number;
  /** Jobs already on the queue (waiting, running or finished), left as they were. */
  existing: number;
  /** Failed jobs put back on the queue (retryFailed). */
  retried: number;
}

const CHUNK = 500;

function positiveInteger(v: unknown, what: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new NntkError('E_ARGUMENT', `${what} must be an integer from 1 to ${max} (got ${String(v)})`);
  return v;
}

export async function submitJobs(jobs: readonly Job[], o: SubmitOptions): Promise<SubmitSummary> {
  const address = parseRedisUrl(o.url);
  const name = checkQueueName(o.queue ?? DEFAULT_QUEUE_NAME);
  const attempts = positiveInteger(o.attempts ?? 3, 'attempts', 1000);
  const backoff = o.backoffSeconds ?? 1;
  if (typeof backoff !== 'number' || !(backoff >= 0) || !Number.isFinite(backoff)) throw new NntkError('E_ARGUMENT', `backoffSeconds must be a number >= 0 (got ${String(backoff)})`);
  if (!Array.isArray(jobs)) throw new NntkError('E_ARGUMENT', 'submitJobs takes an array of jobs (planSweep(spec).jobs)');
  const client = await connectOnce(address);

  // Distinct jobs, the costliest first: workers take jobs in queue order, so the long ones start early
  // and the short ones fill the gaps at the end (a shorter makespan).
  const byKey = new Map<string, Job>();
  for (const job of jobs) byKey.set(jobKey(job), job);
  const ordered = [...byKey].sort((a, b) => jobCost(b[1]) - jobCost(a[1]));

  const queue = new Queue<QueueJobData>(name, { connection: redisOptions(address) });
  queue.on('error', () => {}); // connection trouble surfaces as rejected calls below
  try {
    let added = 0;
    let existing = 0;
    let retried = 0;
    for (let start = 0; start < ordered.length; start += CHUNK) {
      const chunk = ordered.slice(start, start + CHUNK);
      // A job's hash exists in Redis from the moment it is added until it is removed: waiting, delayed,
      // running, completed and failed jobs all count as there.
      const pipeline = client.pipeline();
      for (const [key] of chunk) pipeline.exists(queue.toKey(key));
      const found = ((await pipeline.exec()) ?? []).map(([error, n]: [Error | null, unknown]) => {
        if (error) throw error;
        return n === 1;
      });
      const missing = chunk.filter((_, k) => !found[k]);
      existing += chunk.length - missing.length;
      if (missing.length > 0) {
        // Adding an id that another submit added meanwhile is ignored by BullMQ: never a second copy.
        await queue.addBulk(
          missing.map(([key, job]) => ({
            name: job.experiment,
            data: { job },
            opts: {
              jobId: key,
              attempts,
              backoff: { type: 'exponential', delay: Math.round(backoff * 1000) },
              removeOnComplete: false,
              removeOnFail: false,
            },
          })),
        );
        added += missing.length;
      }
      if (o.retryFailed) {
        for (const [key] of chunk.filter((_, k) => found[k])) {
          const job = await queue.getJob(key);
          if (job && (await job.getState()) === 'failed') {
            await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
            retried++;
          }
        }
      }
    }
    return { total: ordered.length, added, existing, retried };
  } finally {
    await queue.close();
    client.disconnect();
  }
}
