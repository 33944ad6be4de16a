/** The Redis job queue (BullMQ): submit a sweep's jobs, run workers on any machine, collect results into a store. */
export { checkQueueName, DEFAULT_QUEUE_NAME, parseRedisUrl, type RedisAddress } from './connection.js';
export { collectResults, type CollectOptions, type CollectProgress, type CollectSummary } from './collect.js';
export { submitJobs, type SubmitOptions, type SubmitSummary } from './submit.js';
export { partitionCores, type QueueWorkerOptions, type QueueWorkerSummary, runQueueWorker } from './worker.js';
