/**
 * Settings of the BullMQ peer baseline (`BULLMQ_*` variables plus the shared PORT/HOST and
 * ANTHROPIC_BASE_URL), validated with zod so a bad value names its variable.
 */
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  PORT: int(0, 65535).default(8100),
  HOST: z.string().min(1).default('127.0.0.1'),
  BULLMQ_REDIS_HOST: z.string().min(1).default('127.0.0.1'),
  BULLMQ_REDIS_PORT: int(1, 65535).default(6379),
  /** Key prefix of every Redis key: unique per run so runs never share (or leave) state. */
  BULLMQ_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, 'letters, digits, : _ - only'),
  BULLMQ_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('chat'),
  /** Jobs one worker process runs at once (BullMQ's default is 1; we match our worker's slots). */
  BULLMQ_CONCURRENCY: int(1, 100_000).default(200),
  /** Same budget as CLAUDE_MAX_ATTEMPTS / CLAUDE_INITIAL_RETRY_MS of our stack. */
  BULLMQ_ATTEMPTS: int(1, 1_000).default(20),
  BULLMQ_BACKOFF_MS: int(1, 3_600_000).default(1_000),
  /**
   * How long a worker's lock on a job lasts without renewal (BullMQ renews it every half of
   * this): BullMQ's heartbeat, matched to our CLAUDE_HEARTBEAT_TIMEOUT_MS (5 s) rather than
   * BullMQ's default 30 s, so a crash test compares designs, not defaults.
   */
  BULLMQ_LOCK_DURATION_MS: int(1_000, 3_600_000).default(5_000),
  /**
   * How often a worker looks for jobs whose lock expired. Temporal notices a missed heartbeat
   * with a timer of its own at once; a 1-s checker keeps BullMQ's detection within a second of
   * that (BullMQ's default is 30 s).
   */
  BULLMQ_STALLED_INTERVAL_MS: int(100, 3_600_000).default(1_000),
  ANTHROPIC_BASE_URL: z.url().optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  CLAUDE_MODEL: z.string().min(1).default('claude-sonnet-4-6'),
  CLAUDE_MAX_TOKENS: int(1, 128_000).default(1024),
  CLAUDE_ATTEMPT_TIMEOUT_MS: int(1_000, 3_600_000).default(300_000),
});

/** Validated baseline settings. */
export type BullmqSettings = z.infer<typeof schema>;

/**
 * Reads the settings.
 *
 * @throws Error naming each invalid variable.
 */
export function readBullmqSettings(env: NodeJS.ProcessEnv): BullmqSettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success)
    throw new Error(
      `Invalid BullMQ baseline configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** ioredis options for BullMQ (workers need `maxRetriesPerRequest: null`). */
export function redisConnection(settings: BullmqSettings) {
  return {
    host: settings.BULLMQ_REDIS_HOST,
    port: settings.BULLMQ_REDIS_PORT,
    maxRetriesPerRequest: null,
  };
}
