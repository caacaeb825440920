/** Options of a baseline BullMQ Worker, shared by the worker process and the tests. */
import type { WorkerOptions } from 'bullmq';
import { redisConnection, type BullmqSettings } from './config';
import { retryAfterBackoff } from './processor';

/**
 * Lock and stalled-job checker matched to our 5-s heartbeat timeout, and the backoff that honours
 * the model's `retry-after` (jobs are added with backoff type `retry-after`, which BullMQ resolves
 * to this worker's strategy: without it a retried job would fail as "Unknown backoff strategy").
 */
export function bullmqWorkerOptions(settings: BullmqSettings): WorkerOptions {
  return {
    connection: redisConnection(settings),
    prefix: settings.BULLMQ_PREFIX,
    concurrency: settings.BULLMQ_CONCURRENCY,
    lockDuration: settings.BULLMQ_LOCK_DURATION_MS,
    stalledInterval: settings.BULLMQ_STALLED_INTERVAL_MS,
    settings: { backoffStrategy: retryAfterBackoff },
  };
}
