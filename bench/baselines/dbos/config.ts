/**
 * Settings of the DBOS Transact peer baseline (`DBOS_*` variables plus PORT/HOST and the model
 * settings), validated with zod so a bad value names its variable.
 */
import { z } from 'zod';
import { OUR_RETRY_POLICY } from '../model-call';
import { modelSettingsShape, parseSettings } from '../model-settings';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  PORT: int(0, 65535).default(8110),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The DBOS system database (its own database per run: created and dropped by the bench). */
  DBOS_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgresql:// URL'),
  DBOS_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('chat'),
  /** Workflows one worker process runs at once: the queue's `workerConcurrency` (our slots). */
  DBOS_WORKER_CONCURRENCY: int(1, 100_000).default(200),
  /**
   * The queue's base polling interval. DBOS's default is 1 s, which alone would put queue waits
   * near a second; 100 ms is the low end DBOS documents for latency-sensitive queues, and DBOS
   * backs it off by itself under contention.
   */
  DBOS_POLLING_MS: int(10, 60_000).default(100),
  /** Step retries as our retry policy: attempts, first interval, coefficient 2. */
  DBOS_MAX_ATTEMPTS: int(1, 1_000).default(OUR_RETRY_POLICY.maxAttempts),
  DBOS_RETRY_INTERVAL_MS: int(10, 3_600_000).default(OUR_RETRY_POLICY.initialIntervalMs),
  /**
   * The executor id of a worker process (DBOS__VMID). On launch DBOS recovers the pending
   * workflows of its own executor id, so each worker process needs its own, kept across restarts.
   */
  DBOS_EXECUTOR_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('dbos-worker-1'),
  /** Fixed application version, so the API's enqueues and every worker agree on it. */
  DBOS_APP_VERSION: z.string().min(1).default('agent-fleet-bench-1'),
  ...modelSettingsShape,
});

/** Validated baseline settings. */
export type DbosSettings = z.infer<typeof schema>;

/** Application name of the baseline in the system database. */
export const DBOS_APP_NAME = 'agent-fleet-dbos-baseline';
/** Registered name of the chat workflow. */
export const CHAT_WORKFLOW = 'chat';

/**
 * Reads the settings.
 *
 * @throws Error naming each invalid variable.
 */
export function readDbosSettings(env: NodeJS.ProcessEnv | Record<string, string>): DbosSettings {
  return parseSettings('DBOS baseline', schema, env);
}
