/**
 * A job-runner worker thread: runs one job at a time with its share of the BLAS threads and returns the
 * job's rows. Reference kernels are cached for the worker's lifetime. Errors come back as values (with
 * their NntkError code), since a thrown error loses its class on the way to the main thread.
 */
import { workerData } from 'node:worker_threads';
import { NntkError } from '../errors.js';
import type { Job } from '../experiments/jobs.js';
import { ReferenceKernels, runOneStepJob } from '../experiments/one-step-job.js';
import { runTrainJob } from '../experiments/train-job.js';
import type { JobOutput } from '../store/results-store.js';
import { setThreads } from '../threads.js';

export type WorkerAnswer = { ok: true; output: JobOutput } | { ok: false; error: string; seconds: number };

const references = new ReferenceKernels();
setThreads((workerData as { threads: number }).threads);

export default async function runJob(job: Job): Promise<WorkerAnswer> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    if (job.experiment === 'one-step') {
      const trials = runOneStepJob(job, references);
      const failed = trials.filter((t) => t.error !== null).length;
      return { ok: true, output: { trials, metrics: { rows: trials.length, failedRows: failed }, seconds: seconds() } };
    }
    const { rows, metrics } = await runTrainJob(job);
    return { ok: true, output: { training: rows, metrics, seconds: seconds() } };
  } catch (e) {
    const error = e instanceof NntkError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
    return { ok: false, error, seconds: seconds() };
  }
}
