/**
 * What travels through Redis: a queued job's data holds the Job (plain JSON; its BullMQ id is
 * jobKey(job)); a finished attempt's return value is the job's output with the host, process and
 * version that computed it. Results are written as text that keeps every number exactly: JSON turns
 * NaN and +-Infinity into null and -0 into 0, so those are written as {"$num": "..."} instead and read
 * back to the same doubles (stored values must equal a direct executeJob bit for bit).
 */
import type { Job } from '../experiments/jobs.js';
import type { JobOutput } from '../store/results-store.js';

export interface QueueResult {
  output: JobOutput;
  host: string;
  pid: number;
  version: string;
}

/** Written into a job's progress before a failed attempt is reported, so that a final failure keeps them. */
export interface AttemptInfo {
  host: string;
  pid: number;
  seconds: number;
}

/** A queued job's data: the job, wrapped so that later fields can join it without changing its key. */
export interface QueueJobData {
  job: Job;
}

/** A job whose worker process died while running it this many times is failed (as a crash) instead of put back again. */
export const MAX_STALLS = 2;

const TAG = '$num';

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) return { [TAG]: Object.is(value, -0) ? '-0' : String(value) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === TAG) {
      const text = (value as Record<string, unknown>)[TAG];
      if (text === 'NaN' || text === 'Infinity' || text === '-Infinity' || text === '-0') return Number(text);
    }
  }
  return value;
}

export function encodeResult(result: QueueResult): string {
  return JSON.stringify(result, replacer);
}

export function decodeResult(text: unknown): QueueResult {
  if (typeof text !== 'string') throw new Error(`the job's result is not an nntk queue result (${typeof text})`);
  const r = JSON.parse(text, reviver) as QueueResult;
  if (r === null || typeof r !== 'object' || r.output === null || typeof r.output !== 'object') throw new Error("the job's result is not an nntk queue result");
  return r;
}
