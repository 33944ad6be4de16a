/**
 * Runs one job of any experiment and returns what the store records for it: its rows and its metrics.
 * The one entry point for every engine that executes jobs (the worker threads of a local sweep, the
 * Redis queue's workers), so a job computes the same numbers wherever it runs. Errors come back as
 * values with their NntkError code, since a thrown error loses its class between threads and processes.
 */
import { NntkError } from '../errors.js';
import type { JobOutput } from '../store/results-store.js';
import type { Dataset } from '../dataset.js';
import { type DataRef, resolveData } from './data-ref.js';
import { canonicalJson, type Job } from './jobs.js';
import { runKernelJob } from './kernel-job.js';
import { ReferenceKernels, runOneStepJob, type TrialRecord } from './one-step-job.js';
import { runTrainJob } from './train-job.js';

export type JobAnswer = { ok: true; output: JobOutput } | { ok: false; error: string; seconds: number };

/** What an executor keeps between jobs, for one thread's lifetime: reference kernels and resolved data sets. */
export class JobContext {
  readonly references = new ReferenceKernels();
  private readonly data = new Map<string, Dataset>();

  /** The data set of a reference and a key that identifies it (read once per thread; a file is checked against its hash). */
  dataset(ref: DataRef): { data: Dataset; key: string } {
    const key = canonicalJson(ref.kind === 'file' ? ref.sha256 : ref);
    let data = this.data.get(key);
    if (!data) {
      data = resolveData(ref);
      this.data.set(key, data);
    }
    return { data, key };
  }
}

/** "E_CODE: message" for an NntkError, the message otherwise: the text stored as a job's error. */
export function errorText(e: unknown): string {
  return e instanceof NntkError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

/**
 * A one-step job's metrics hold its trials.csv columns (docs/API: the `results` view): the values
 * themselves for a job of one gamma, and for several gammas one array per column, in the order of the
 * job's gammas (largest first); with the counts of rows and of rows whose step failed.
 */
export function oneStepMetrics(trials: readonly TrialRecord[]): Record<string, unknown> {
  const failedRows = trials.filter((t) => t.error !== null).length;
  const columns = Object.keys(trials[0] ?? {}) as (keyof TrialRecord)[];
  const values = Object.fromEntries(columns.map((c) => [c, trials.length === 1 ? trials[0]![c] : trials.map((t) => t[c])]));
  return { ...values, rows: trials.length, failedRows };
}

export async function executeJob(job: Job, context: JobContext): Promise<JobAnswer> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const { data, key } = context.dataset(job.data);
    if (job.experiment === 'one-step') {
      const trials = runOneStepJob(job, data, key, context.references);
      return { ok: true, output: { trials, metrics: oneStepMetrics(trials), seconds: seconds() } };
    }
    if (job.experiment === 'kernel') {
      const { spectra, metrics } = runKernelJob(job, data);
      return { ok: true, output: { spectra, metrics, seconds: seconds() } };
    }
    const { rows, metrics } = await runTrainJob(job, data);
    return { ok: true, output: { training: rows, metrics, seconds: seconds() } };
  } catch (e) {
    return { ok: false, error: errorText(e), seconds: seconds() };
  }
}
