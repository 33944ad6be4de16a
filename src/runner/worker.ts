/**
 * A job-runner worker thread: runs one job at a time with its share of the BLAS threads
 * (src/experiments/execute.ts) and returns the job's rows. Reference kernels are cached for the
 * worker's lifetime.
 */
import { workerData } from 'node:worker_threads';
import { executeJob, type JobAnswer, JobContext } from '../experiments/execute.js';
import type { Job } from '../experiments/jobs.js';
import { setThreads } from '../threads.js';

export type WorkerAnswer = JobAnswer;

const context = new JobContext();
setThreads((workerData as { threads: number }).threads);

export default function runJob(job: Job): Promise<WorkerAnswer> {
  return executeJob(job, context);
}
