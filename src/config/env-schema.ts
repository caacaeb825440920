import { z } from 'zod';
import { mcpServersFromJson } from '../mcp/mcp-settings';
import { priceTableFromJson } from '../observability/price-table';
import { payloadKeysSchema } from '../security/payload-keys';
import { tokenLimitsByModelFromJson } from './token-limit-settings';
import {
  DEFAULT_ACTIVITY_TASK_QUEUE,
  DEFAULT_TOOL_TASK_QUEUE,
  DEFAULT_WORKFLOW_TASK_QUEUE,
} from '../shared/constants';

/** Parses "true"/"false"/"1"/"0"/"yes"/"no" strictly, so a typo is an error rather than false. */
const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A task queue name: printable, short, no whitespace (Temporal limits names to 1000 bytes). */
const taskQueueName = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'letters, digits and . _ : - only (1-200 characters)');

/** `{"user-or-tier": weight}`: per-user fairness weights (default weight 1). */
const fairnessWeightsFromJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().min(1).max(64), z.number().positive().max(1000)));

/**
 * Every environment variable Agent Fleet reads (Temporal connection settings are read separately
 * by src/temporal, the only place addresses and TLS are handled). `.env.example` documents each.
 */
export const envSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: booleanFromEnv.optional(),
  /** `production` turns missing secrets that development tolerates into start-up errors. */
  NODE_ENV: z.string().optional(),

  PORT: int(0, 65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  MAX_MESSAGE_CHARS: int(1, 10_000_000).default(100_000),
  STATUS_QUERY_TIMEOUT_MS: int(100, 60_000).default(2_000),
  FINISHED_JOB_CACHE_SIZE: int(0, 1_000_000).default(10_000),
  API_SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  TEMPORAL_RPC_TIMEOUT_MS: int(100, 120_000).default(5_000),
  CANCEL_WAIT_MS: int(0, 120_000).default(10_000),
  /** Concurrent polls of one job share a describe; its answer is reused this long (0 = not). */
  POLL_REUSE_MS: int(0, 250).default(100),
  MAX_RESPONSE_CHARS: int(1_000, 1_000_000).default(200_000),

  WORKFLOW_TASK_QUEUE: taskQueueName.default(DEFAULT_WORKFLOW_TASK_QUEUE),
  ACTIVITY_TASK_QUEUE: taskQueueName.default(DEFAULT_ACTIVITY_TASK_QUEUE),
  /** Agent tool calls: their own queue, slots and (absent) rate limit, apart from model calls. */
  TOOL_TASK_QUEUE: taskQueueName.default(DEFAULT_TOOL_TASK_QUEUE),
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  MAX_CONCURRENT_CLAUDE_CALLS: int(1, 100_000).default(200),
  MAX_CONCURRENT_WORKFLOW_TASKS: int(1, 10_000).default(20),
  MAX_CONCURRENT_TOOL_CALLS: int(1, 100_000).default(100),
  WORKER_SHUTDOWN_GRACE_MS: int(0, 3_600_000).default(60_000),
  /** Worker probe endpoint (/healthz, /readyz) port; 0 disables it. */
  WORKER_HEALTH_PORT: int(0, 65535).default(9465),
  /** Interface of the worker probe endpoint: loopback unless an orchestrator must reach it. */
  WORKER_HEALTH_HOST: z.string().min(1).default('127.0.0.1'),

  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url().optional(),
  CLAUDE_MODEL: z.string().min(1).default('claude-sonnet-4-6'),
  CLAUDE_MAX_TOKENS: int(1, 128_000).default(1024),
  CLAUDE_SYSTEM_PROMPT: z.string().min(1).optional(),
  /** Overload fallback: the model a call moves to after this many 529s in a row (off if unset). */
  CLAUDE_FALLBACK_MODEL: z.string().min(1).optional(),
  CLAUDE_FALLBACK_AFTER_OVERLOADED: int(1, 100).default(3),

  CLAUDE_MAX_ATTEMPTS: int(1, 1000).default(20),
  CLAUDE_INITIAL_RETRY_MS: int(10, 600_000).default(1_000),
  CLAUDE_MAX_RETRY_MS: int(10, 3_600_000).default(30_000),
  CLAUDE_HEARTBEAT_TIMEOUT_MS: int(1_000, 600_000).default(5_000),
  CLAUDE_ATTEMPT_TIMEOUT_MS: int(1_000, 3_600_000).default(300_000),
  JOB_DEADLINE_MS: int(1_000, 7 * 24 * 3_600_000).default(900_000),

  ACTIVITY_WORKERS: int(0, 64).default(2),
  FAKE_CLAUDE_PORT: int(0, 65535).default(4010),
  TEMPORAL_DEV_PORT: int(1, 65535).default(7233),
  TEMPORAL_UI_PORT: int(1, 65535).default(8233),
  TEMPORAL_DB_FILE: z.string().min(1).default('.temporal/dev.sqlite'),

  // Observability: /metrics of worker processes (the API serves /metrics on its own PORT).
  METRICS_PORT: int(0, 65535).default(9464),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  TEMPORAL_SDK_METRICS_PORT: int(0, 65535).default(9466),
  QUEUE_METRICS_INTERVAL_MS: int(0, 3_600_000).default(5_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(100).optional(),

  CLAUDE_MAX_RPS: z.coerce.number().min(0).max(100_000).default(0),
  /** Fleet-wide Claude input / output tokens per minute, per model (0 = none). */
  CLAUDE_MAX_INPUT_TOKENS_PER_MIN: int(0, 1_000_000_000).default(0),
  CLAUDE_MAX_OUTPUT_TOKENS_PER_MIN: int(0, 1_000_000_000).default(0),
  CLAUDE_TOKEN_LIMITS_BY_MODEL: tokenLimitsByModelFromJson.optional(),
  /** Activity-worker processes sharing the token limits (each enforces 1/N of them). */
  CLAUDE_TOKEN_LIMIT_WORKERS: int(1, 10_000).default(1),
  CLAUDE_COOLDOWN_RPS: z.coerce.number().min(0).max(100_000).default(0.5),
  CLAUDE_COOLDOWN_FACTOR: z.coerce.number().min(0).max(1).default(0.5),
  ADMISSION_MAX_BACKLOG: int(0, 100_000_000).default(5_000),
  ADMISSION_MAX_BACKLOG_MEDIUM: int(0, 100_000_000).optional(),
  ADMISSION_MAX_BACKLOG_HIGH: int(0, 100_000_000).optional(),
  ADMISSION_CACHE_MS: int(0, 60_000).default(1_000),
  /** Adaptive limit on in-flight workflow starts (admission/start-limiter.ts). */
  START_LIMIT_INITIAL: int(1, 100_000).default(20),
  START_LIMIT_MIN: int(1, 100_000).default(2),
  START_LIMIT_MAX: int(1, 100_000).default(200),
  START_LIMIT_RTT_TOLERANCE: z.coerce.number().min(1).max(100).default(2),
  START_LIMIT_LATENCY_TARGET_MS: int(0, 60_000).default(50),
  START_LIMIT_MAX_WAIT_MS: int(0, 1_000).default(10),
  START_LIMIT_RTT_WINDOW_MS: int(1_000, 3_600_000).default(30_000),
  USER_MAX_ACTIVE_JOBS: int(0, 10_000_000).default(1_000),
  /** Tokens (input + cache writes + output) one user may use per UTC day; 0 = no budget. */
  USER_DAILY_TOKEN_BUDGET: int(0, 1_000_000_000_000).default(0),
  /** Estimated US dollars (price table) one user may spend per UTC day; 0 = no budget. */
  USER_DAILY_COST_BUDGET_USD: z.coerce.number().min(0).max(1_000_000_000).default(0),
  FAIRNESS_WEIGHTS_JSON: fairnessWeightsFromJson.optional(),

  API_KEYS: z.string().min(1).optional(),
  API_KEYS_FILE: z.string().min(1).optional(),
  RATE_LIMIT_PER_KEY_RPS: z.coerce.number().min(0).max(100_000).default(20),
  RATE_LIMIT_PER_KEY_BURST: int(1, 100_000).default(40),
  ALLOWED_MODELS: z.string().min(1).optional(),
  CLAUDE_PRICES_JSON: priceTableFromJson.optional(),
  /** Count plain chat jobs in the per-user usage ledger (agent jobs are always counted). */
  USAGE_LEDGER_CHAT_JOBS: booleanFromEnv.default(true),
  /** PostgreSQL database of the usage ledger; unset = the Temporal ledger workflows. */
  USAGE_DATABASE_URL: z
    .string()
    // The message never repeats the value: it may carry a password.
    .regex(/^postgres(ql)?:\/\/\S+$/, { error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  USAGE_DATABASE_POOL_SIZE: int(1, 100).default(4),
  /**
   * Agent transcripts by reference (docs/transcripts.md): `auto` = when a transcript database is
   * configured (the file store serves one machine: `npm start` turns it on explicitly).
   */
  TRANSCRIPT_BY_REFERENCE: z.enum(['auto', 'true', 'false']).default('auto'),
  /** PostgreSQL database of agent transcripts; unset = USAGE_DATABASE_URL, else files. */
  TRANSCRIPT_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, { error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  /** Directory of the file transcript store (one machine only). */
  TRANSCRIPT_DIR: z.string().min(1).default('.data/transcripts'),

  // Agent features: tool loop, conversations, prompt caching, wait-for-result, live streaming.
  AGENT_MAX_STEPS: int(1, 1_000).default(8),
  TOOL_TIMEOUT_MS: int(100, 3_600_000).default(10_000),
  TOOL_MAX_ATTEMPTS: int(1, 100).default(3),
  /** Human approval of tool calls (docs/approvals.md): tools that always wait, and how long. */
  TOOLS_REQUIRING_APPROVAL: z
    .string()
    .regex(/^[A-Za-z0-9_,\s-]*$/, 'comma-separated tool names')
    .transform((text) =>
      text
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    )
    .default([]),
  APPROVAL_TIMEOUT_MS: int(1_000, 30 * 24 * 3_600_000).default(24 * 3_600_000),
  APPROVAL_TIMEOUT_DECISION: z.enum(['deny', 'approve']).default('deny'),
  PROMPT_CACHING: booleanFromEnv.default(true),
  /** MCP tool servers (JSON array, src/mcp/mcp-settings.ts): their tools join the built-in ones. */
  MCP_SERVERS: mcpServersFromJson.optional(),
  CONVERSATION_IDLE_TIMEOUT_MS: int(1_000, 30 * 24 * 3_600_000).default(3_600_000),
  CONVERSATION_MAX_TURNS_PER_RUN: int(1, 10_000).default(200),
  CONVERSATION_CONTEXT_TURNS: int(0, 1_000).default(50),
  CONVERSATION_CONTEXT_CHARS: int(0, 1_000_000).default(200_000),
  CONVERSATION_MAX_QUEUED: int(1, 1_000).default(10),
  CONVERSATION_PREVIEW_CHARS: int(0, 10_000).default(200),
  MAX_WAIT_MS: int(0, 600_000).default(30_000),
  /** Activity workers' live-text server for SSE (0 = off). */
  STREAM_PORT: int(0, 65535).default(9467),
  /** Interface of that server: loopback unless API replicas on other hosts must reach it. */
  STREAM_HOST: z.string().min(1).default('127.0.0.1'),
  STREAM_ADVERTISE_URL: z.url().optional(),
  /** Shared by the API and activity workers: signs the API's reads of live text. */
  STREAM_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  STREAM_SECRET_FILE: z.string().min(1).optional(),
  SSE_POLL_INTERVAL_MS: int(50, 10_000).default(250),

  // Payload encryption (Temporal PayloadCodec) and the codec server for the Web UI and CLI.
  /** `kid1:base64key,kid0:base64key`: 32-byte AES keys, the first encrypts, all decrypt. */
  PAYLOAD_ENCRYPTION_KEYS: payloadKeysSchema.optional(),
  PAYLOAD_ENCRYPTION_KEYS_FILE: z.string().min(1).optional(),
  CODEC_SERVER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CODEC_CORS_ORIGIN: z
    .url()
    .refine((url) => new URL(url).origin === url.replace(/\/$/, ''), {
      message: 'must be an origin: scheme://host[:port] without a path',
    })
    .transform((url) => new URL(url).origin)
    .optional(),

  // Completion webhooks (docs/webhooks.md): off until prefixes are configured.
  WEBHOOK_ALLOWED_URL_PREFIXES: z.string().optional(),
  WEBHOOK_SECRET: z.string().min(1).optional(),
  WEBHOOK_MAX_DELIVERY_MS: int(1_000, 30 * 24 * 3_600_000).default(24 * 3_600_000),
  WEBHOOK_TIMEOUT_MS: int(100, 300_000).default(10_000),
});

/** The raw, validated environment. */
export type EnvSettings = z.infer<typeof envSchema>;
