import { readFileSync } from 'node:fs';
import { loadApiKeys, type ApiKeyRecord } from '../security/api-keys';
import { envSchema, type EnvSettings } from './env-schema';
import { webhookConfig, type WebhookConfig } from './webhook-config';
import {
  payloadEncryptionConfig,
  PayloadEncryptionConfigError,
  type PayloadEncryptionConfig,
} from '../security/payload-encryption-config';
import { DEFAULT_PRICE_TABLE, type PriceTable } from '../observability/price-table';
import type { ClaudeCallPolicy, ModelSettings } from '../shared';
import type { McpServerSettings } from '../mcp/mcp-settings';
import { transcriptConfig, type TranscriptConfig } from './transcript-config';
import type { TokenLimitSettings } from '../activities/token-rate-limiter';

/** Validated, structured settings of one process. Parsed once, by an entry point. */
export interface AppConfig {
  logLevel: string;
  /** Pretty, human log lines (default when stdout is a terminal). */
  logPretty: boolean;
  /** NODE_ENV=production: secrets development can do without become required. */
  production: boolean;
  http: {
    host: string;
    port: number;
    maxBodyBytes: number;
    maxMessageChars: number;
    statusQueryTimeoutMs: number;
    finishedJobCacheSize: number;
    shutdownGraceMs: number;
    /**
     * Bound on all Temporal calls of one request together (one deadline per request, shared by
     * its lookups and its start): past it the request is answered 503, never a hang.
     */
    temporalRpcTimeoutMs: number;
    /**
     * Concurrent `GET /chat/:id` of one job share one describe, and its answer is reused for this
     * long (0 = only shared while in flight): a poll's view is at most this much older.
     */
    pollReuseMs: number;
    /** How long DELETE waits for the cancelled job to close before answering 202. */
    cancelWaitMs: number;
  };
  /** Workflow tasks; model calls (`activities`, the Claude queue); agent tool calls. */
  taskQueues: { workflows: string; activities: string; tools: string };
  worker: {
    workflowBundlePath?: string;
    maxConcurrentClaudeCalls: number;
    maxConcurrentWorkflowTasks: number;
    /** Tool calls one activity worker runs at once (on the tool queue). */
    maxConcurrentToolCalls: number;
    shutdownGraceMs: number;
    /** Port of the worker's /healthz and /readyz endpoint; 0 = disabled. */
    healthPort: number;
    /** Interface that endpoint binds (loopback by default: only probes need it). */
    healthHost: string;
  };
  claude: {
    /** Absent when only a fake (ANTHROPIC_BASE_URL) is configured. */
    apiKey?: string;
    baseURL?: string;
    model: ModelSettings;
    policy: ClaudeCallPolicy;
    /**
     * Replies longer than this are truncated (and flagged) so a result never approaches
     * Temporal's 2 MiB payload limit and fails forever.
     */
    maxResponseChars: number;
  };
  /** Metrics and pricing (see src/observability). */
  observability: {
    /** Bind host of a worker's /metrics server (loopback unless Prometheus scrapes it remotely). */
    metricsHost: string;
    /** Port of a worker's /metrics server; 0 = no server. */
    metricsPort: number;
    /** Port of the Temporal SDK's own Prometheus exporter in workers; 0 = off. */
    sdkMetricsPort: number;
    /** How often the API samples task-queue backlogs; 0 = never. */
    queueSampleIntervalMs: number;
    /** USD per million tokens by model prefix (defaults built in). */
    prices: PriceTable;
    /** Plain chat jobs report their tokens to the per-user usage ledger. */
    usageLedgerChatJobs: boolean;
    /** OTLP/HTTP endpoint for traces (tracing is off without one). */
    otlpEndpoint?: string;
    /** service.name of this process's spans (default: agent-fleet-<role>). */
    serviceName?: string;
  };
  /** Who gets the scarce resource — concurrent Claude calls — and when work is refused. */
  scheduling: {
    /** Fleet-wide model calls per second, enforced by Temporal on the activity queue (0 = none). */
    claudeMaxRps: number;
    /** Fleet-wide token limits per model, split between the activity workers (token-rate-limiter.ts). */
    claudeTokenLimits: TokenLimitSettings;
    /** Lowest fleet-wide rate while Claude's retry-after window runs after a 429. */
    claudeCooldownRps: number;
    /** Fraction of the recent dispatch rate kept during that window. */
    claudeCooldownFactor: number;
    /** Backlog (workflow + activity tasks) above which new jobs of each priority are refused. */
    maxBacklog: { normal: number; medium: number; high: number };
    /** How long a backlog reading is reused; bounds DescribeTaskQueue calls to one per interval. */
    admissionCacheMs: number;
    /** Adaptive concurrency limit on in-flight workflow starts (see start-limiter.ts). */
    startLimit: {
      initial: number;
      min: number;
      max: number;
      rttTolerance: number;
      latencyTargetMs: number;
      minRttWindowMs: number;
      /** Longest wait for a start slot before the request is refused. */
      maxWaitMs: number;
    };
    /** Cap on one user's queued + running jobs (0 = none). */
    userMaxActiveJobs: number;
    /** Tokens one user may use per UTC day, read from the usage ledger (0 = no budget). */
    userDailyTokenBudget: number;
    /** US dollars one user may spend per UTC day, priced by the price table (0 = no budget). */
    userDailyCostBudgetUsd: number;
    /** Fairness weight per user (or tier); others weigh 1. */
    fairnessWeights: Record<string, number>;
  };
  /** Tool loop, conversations, prompt caching, wait-for-result and live streaming. */
  agent: {
    maxSteps: number;
    toolPolicy: { timeoutMs: number; maxAttempts: number };
    /** MCP tool servers: activity workers connect to them; the API reads their tool policies. */
    mcpServers: McpServerSettings[];
    /** Human approval of tool calls: tools that always wait (beyond the registry's), how long. */
    approval: { tools: string[]; timeoutMs: number; timeoutDecision: 'deny' | 'approve' };
    promptCaching: boolean;
    conversation: {
      idleTimeoutMs: number;
      maxTurnsPerRun: number;
      contextTurns: number;
      contextChars: number;
      maxQueued: number;
      previewChars: number;
    };
    /** Longest `POST /chat?wait=` honoured (longer waits are capped to it). */
    maxWaitMs: number;
    /** Port of an activity worker's live-text server (0 = off). */
    streamPort: number;
    /** Interface of that server (loopback by default: it carries users' text). */
    streamHost: string;
    /**
     * Key shared by the API and activity workers: the API signs each read of live text with it
     * and a worker serves none without a valid signature. Absent: loopback-only, unsigned.
     */
    streamSecret?: string;
    /** URL the API uses to reach this worker's stream server (default http://HOST:STREAM_PORT). */
    streamAdvertiseUrl?: string;
    /** How often an SSE stream re-reads the job's status. */
    ssePollIntervalMs: number;
  };
  /** Who may call the API and how much. */
  auth: {
    /** Configured API keys (digests only); empty = open development mode. */
    apiKeys: ApiKeyRecord[];
    /** Per-key request rate (0 = unlimited) and burst. */
    perKeyRps: number;
    perKeyBurst: number;
    /** Models a client may choose with `model`; the first is the default. */
    allowedModels: string[];
  };
  /** Temporal payload encryption (AES-256-GCM keyring) and the codec server's access. */
  payloadEncryption: PayloadEncryptionConfig;
  /** Completion webhooks: allowed URL prefixes, signing secret, delivery bounds. */
  webhooks: WebhookConfig;
  /** Where the usage ledger lives (src/usage). */
  usage: {
    /**
     * PostgreSQL database of the usage ledger (`postgres://…`); absent = the Temporal ledger
     * workflows. A secret (it may hold a password): never logged.
     */
    databaseUrl?: string;
    /** Connections per process to that database. */
    poolSize: number;
  };
  /** Where agent transcripts live when passed by reference (src/transcripts). */
  transcripts: TranscriptConfig;
  /** Settings used only by `npm start` (the whole local stack). */
  stack: {
    activityWorkers: number;
    fakeClaudePort: number;
    temporalDevPort: number;
    temporalUiPort: number;
    temporalDbFile: string;
  };
}

/** Thrown when the environment is invalid; its message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      `Invalid configuration: ${issues.map((issue) => `${issue.variable}: ${issue.message}`).join('; ')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Loads API keys, turning a bad entry into a ConfigError that names the variable. */
function loadApiKeysOrThrow(inline: string | undefined, file: string | undefined): ApiKeyRecord[] {
  try {
    return loadApiKeys({ inline, file });
  } catch (err) {
    throw new ConfigError([
      { variable: file ? 'API_KEYS/API_KEYS_FILE' : 'API_KEYS', message: (err as Error).message },
    ]);
  }
}

/** Builds the payload-encryption settings, turning a bad key file into a ConfigError. */
function payloadEncryptionOrThrow(e: EnvSettings): PayloadEncryptionConfig {
  try {
    return payloadEncryptionConfig(e);
  } catch (err) {
    if (err instanceof PayloadEncryptionConfigError) {
      throw new ConfigError([{ variable: err.variable, message: err.message }]);
    }
    throw err;
  }
}

/** STREAM_SECRET, or the first line of STREAM_SECRET_FILE (a mounted Kubernetes/Docker secret). */
function streamSecretOrThrow(e: EnvSettings): string | undefined {
  if (e.STREAM_SECRET && e.STREAM_SECRET_FILE) {
    throw new ConfigError([
      {
        variable: 'STREAM_SECRET_FILE',
        message: 'set STREAM_SECRET or STREAM_SECRET_FILE, not both',
      },
    ]);
  }
  if (!e.STREAM_SECRET_FILE) return e.STREAM_SECRET;
  let secret: string;
  try {
    secret = readFileSync(e.STREAM_SECRET_FILE, 'utf8').trim();
  } catch (err) {
    throw new ConfigError([
      {
        variable: 'STREAM_SECRET_FILE',
        message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      },
    ]);
  }
  if (secret.length < 32) {
    throw new ConfigError([
      { variable: 'STREAM_SECRET_FILE', message: 'must hold at least 32 characters' },
    ]);
  }
  return secret;
}

/** The webhook settings, or a ConfigError naming each bad variable. */
function webhookConfigOrThrow(e: EnvSettings): WebhookConfig {
  const result = webhookConfig(e);
  if (Array.isArray(result)) throw new ConfigError(result);
  return result;
}

/**
 * Parses and validates the environment. Call it only from entry points (src/bin) and pass the
 * result down; values are never logged because some of them are secrets.
 */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  // Empty strings mean "unset": that is how most deploy tools express an absent value.
  const present = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: issue.path.join('.'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  if (e.START_LIMIT_MAX < e.START_LIMIT_MIN) {
    throw new ConfigError([
      { variable: 'START_LIMIT_MAX', message: 'must be at least START_LIMIT_MIN' },
    ]);
  }
  if (e.CLAUDE_MAX_RETRY_MS < e.CLAUDE_INITIAL_RETRY_MS) {
    throw new ConfigError([
      { variable: 'CLAUDE_MAX_RETRY_MS', message: 'must be at least CLAUDE_INITIAL_RETRY_MS' },
    ]);
  }
  return {
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY ?? Boolean(process.stdout.isTTY),
    production: e.NODE_ENV === 'production',
    http: {
      host: e.HOST,
      port: e.PORT,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxMessageChars: e.MAX_MESSAGE_CHARS,
      statusQueryTimeoutMs: e.STATUS_QUERY_TIMEOUT_MS,
      finishedJobCacheSize: e.FINISHED_JOB_CACHE_SIZE,
      shutdownGraceMs: e.API_SHUTDOWN_GRACE_MS,
      temporalRpcTimeoutMs: e.TEMPORAL_RPC_TIMEOUT_MS,
      cancelWaitMs: e.CANCEL_WAIT_MS,
      pollReuseMs: e.POLL_REUSE_MS,
    },
    taskQueues: {
      workflows: e.WORKFLOW_TASK_QUEUE,
      activities: e.ACTIVITY_TASK_QUEUE,
      tools: e.TOOL_TASK_QUEUE,
    },
    worker: {
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
      maxConcurrentClaudeCalls: e.MAX_CONCURRENT_CLAUDE_CALLS,
      maxConcurrentWorkflowTasks: e.MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentToolCalls: e.MAX_CONCURRENT_TOOL_CALLS,
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS,
      healthPort: e.WORKER_HEALTH_PORT,
      healthHost: e.WORKER_HEALTH_HOST,
    },
    claude: {
      apiKey: e.ANTHROPIC_API_KEY,
      baseURL: e.ANTHROPIC_BASE_URL,
      model: {
        model: e.CLAUDE_MODEL,
        maxTokens: e.CLAUDE_MAX_TOKENS,
        system: e.CLAUDE_SYSTEM_PROMPT,
        ...(e.CLAUDE_FALLBACK_MODEL
          ? {
              fallback: {
                model: e.CLAUDE_FALLBACK_MODEL,
                afterOverloaded: e.CLAUDE_FALLBACK_AFTER_OVERLOADED,
              },
            }
          : {}),
      },
      policy: {
        maxAttempts: e.CLAUDE_MAX_ATTEMPTS,
        initialRetryMs: e.CLAUDE_INITIAL_RETRY_MS,
        maxRetryMs: e.CLAUDE_MAX_RETRY_MS,
        heartbeatTimeoutMs: e.CLAUDE_HEARTBEAT_TIMEOUT_MS,
        attemptTimeoutMs: e.CLAUDE_ATTEMPT_TIMEOUT_MS,
        deadlineMs: e.JOB_DEADLINE_MS,
      },
      maxResponseChars: e.MAX_RESPONSE_CHARS,
    },
    observability: {
      metricsHost: e.METRICS_HOST,
      metricsPort: e.METRICS_PORT,
      sdkMetricsPort: e.TEMPORAL_SDK_METRICS_PORT,
      queueSampleIntervalMs: e.QUEUE_METRICS_INTERVAL_MS,
      prices: e.CLAUDE_PRICES_JSON ?? DEFAULT_PRICE_TABLE,
      usageLedgerChatJobs: e.USAGE_LEDGER_CHAT_JOBS,
      otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: e.OTEL_SERVICE_NAME,
    },
    scheduling: {
      claudeMaxRps: e.CLAUDE_MAX_RPS,
      claudeTokenLimits: {
        defaults: {
          inputPerMin: e.CLAUDE_MAX_INPUT_TOKENS_PER_MIN,
          outputPerMin: e.CLAUDE_MAX_OUTPUT_TOKENS_PER_MIN,
        },
        byModel: e.CLAUDE_TOKEN_LIMITS_BY_MODEL ?? {},
        workers: e.CLAUDE_TOKEN_LIMIT_WORKERS,
      },
      claudeCooldownRps: e.CLAUDE_COOLDOWN_RPS,
      claudeCooldownFactor: e.CLAUDE_COOLDOWN_FACTOR,
      maxBacklog: {
        normal: e.ADMISSION_MAX_BACKLOG,
        // High priority keeps headroom: it is admitted until a higher backlog than normal work.
        medium: e.ADMISSION_MAX_BACKLOG_MEDIUM ?? Math.round(e.ADMISSION_MAX_BACKLOG * 1.5),
        high: e.ADMISSION_MAX_BACKLOG_HIGH ?? e.ADMISSION_MAX_BACKLOG * 2,
      },
      admissionCacheMs: e.ADMISSION_CACHE_MS,
      startLimit: {
        initial: e.START_LIMIT_INITIAL,
        min: e.START_LIMIT_MIN,
        max: e.START_LIMIT_MAX,
        rttTolerance: e.START_LIMIT_RTT_TOLERANCE,
        latencyTargetMs: e.START_LIMIT_LATENCY_TARGET_MS,
        minRttWindowMs: e.START_LIMIT_RTT_WINDOW_MS,
        maxWaitMs: e.START_LIMIT_MAX_WAIT_MS,
      },
      userMaxActiveJobs: e.USER_MAX_ACTIVE_JOBS,
      userDailyTokenBudget: e.USER_DAILY_TOKEN_BUDGET,
      userDailyCostBudgetUsd: e.USER_DAILY_COST_BUDGET_USD,
      fairnessWeights: e.FAIRNESS_WEIGHTS_JSON ?? {},
    },
    agent: {
      maxSteps: e.AGENT_MAX_STEPS,
      toolPolicy: { timeoutMs: e.TOOL_TIMEOUT_MS, maxAttempts: e.TOOL_MAX_ATTEMPTS },
      mcpServers: e.MCP_SERVERS ?? [],
      approval: {
        tools: e.TOOLS_REQUIRING_APPROVAL,
        timeoutMs: e.APPROVAL_TIMEOUT_MS,
        timeoutDecision: e.APPROVAL_TIMEOUT_DECISION,
      },
      promptCaching: e.PROMPT_CACHING,
      conversation: {
        idleTimeoutMs: e.CONVERSATION_IDLE_TIMEOUT_MS,
        maxTurnsPerRun: e.CONVERSATION_MAX_TURNS_PER_RUN,
        contextTurns: e.CONVERSATION_CONTEXT_TURNS,
        contextChars: e.CONVERSATION_CONTEXT_CHARS,
        maxQueued: e.CONVERSATION_MAX_QUEUED,
        previewChars: e.CONVERSATION_PREVIEW_CHARS,
      },
      maxWaitMs: e.MAX_WAIT_MS,
      streamPort: e.STREAM_PORT,
      streamHost: e.STREAM_HOST,
      streamSecret: streamSecretOrThrow(e),
      streamAdvertiseUrl: e.STREAM_ADVERTISE_URL,
      ssePollIntervalMs: e.SSE_POLL_INTERVAL_MS,
    },
    auth: {
      apiKeys: loadApiKeysOrThrow(e.API_KEYS, e.API_KEYS_FILE),
      perKeyRps: e.RATE_LIMIT_PER_KEY_RPS,
      perKeyBurst: e.RATE_LIMIT_PER_KEY_BURST,
      allowedModels: [
        ...new Set([
          e.CLAUDE_MODEL,
          ...(e.ALLOWED_MODELS ?? '')
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean),
        ]),
      ],
    },
    payloadEncryption: payloadEncryptionOrThrow(e),
    webhooks: webhookConfigOrThrow(e),
    usage: {
      ...(e.USAGE_DATABASE_URL ? { databaseUrl: e.USAGE_DATABASE_URL } : {}),
      poolSize: e.USAGE_DATABASE_POOL_SIZE,
    },
    transcripts: transcriptConfig(e),
    stack: {
      activityWorkers: e.ACTIVITY_WORKERS,
      fakeClaudePort: e.FAKE_CLAUDE_PORT,
      temporalDevPort: e.TEMPORAL_DEV_PORT,
      temporalUiPort: e.TEMPORAL_UI_PORT,
      temporalDbFile: e.TEMPORAL_DB_FILE,
    },
  };
}
