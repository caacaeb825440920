import { envSchema } from './env-schema';
import type { ClaudeCallPolicy, ModelSettings } from '../shared';

/** Validated, structured settings of one process. Parsed once, by an entry point. */
export interface AppConfig {
  logLevel: string;
  /** Pretty, human log lines (default when stdout is a terminal). */
  logPretty: boolean;
  http: {
    host: string;
    port: number;
    maxBodyBytes: number;
    maxMessageChars: number;
    statusQueryTimeoutMs: number;
    finishedJobCacheSize: number;
    shutdownGraceMs: number;
  };
  taskQueues: { workflows: string; activities: string };
  worker: {
    workflowBundlePath?: string;
    maxConcurrentClaudeCalls: number;
    maxConcurrentWorkflowTasks: number;
    shutdownGraceMs: number;
  };
  claude: {
    /** Absent when only a fake (ANTHROPIC_BASE_URL) is configured. */
    apiKey?: string;
    baseURL?: string;
    model: ModelSettings;
    policy: ClaudeCallPolicy;
  };
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
  if (e.CLAUDE_MAX_RETRY_MS < e.CLAUDE_INITIAL_RETRY_MS) {
    throw new ConfigError([
      { variable: 'CLAUDE_MAX_RETRY_MS', message: 'must be at least CLAUDE_INITIAL_RETRY_MS' },
    ]);
  }
  return {
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY ?? Boolean(process.stdout.isTTY),
    http: {
      host: e.HOST,
      port: e.PORT,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxMessageChars: e.MAX_MESSAGE_CHARS,
      statusQueryTimeoutMs: e.STATUS_QUERY_TIMEOUT_MS,
      finishedJobCacheSize: e.FINISHED_JOB_CACHE_SIZE,
      shutdownGraceMs: e.API_SHUTDOWN_GRACE_MS,
    },
    taskQueues: { workflows: e.WORKFLOW_TASK_QUEUE, activities: e.ACTIVITY_TASK_QUEUE },
    worker: {
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
      maxConcurrentClaudeCalls: e.MAX_CONCURRENT_CLAUDE_CALLS,
      maxConcurrentWorkflowTasks: e.MAX_CONCURRENT_WORKFLOW_TASKS,
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS,
    },
    claude: {
      apiKey: e.ANTHROPIC_API_KEY,
      baseURL: e.ANTHROPIC_BASE_URL,
      model: {
        model: e.CLAUDE_MODEL,
        maxTokens: e.CLAUDE_MAX_TOKENS,
        system: e.CLAUDE_SYSTEM_PROMPT,
      },
      policy: {
        maxAttempts: e.CLAUDE_MAX_ATTEMPTS,
        initialRetryMs: e.CLAUDE_INITIAL_RETRY_MS,
        maxRetryMs: e.CLAUDE_MAX_RETRY_MS,
        heartbeatTimeoutMs: e.CLAUDE_HEARTBEAT_TIMEOUT_MS,
        attemptTimeoutMs: e.CLAUDE_ATTEMPT_TIMEOUT_MS,
        deadlineMs: e.JOB_DEADLINE_MS,
      },
    },
    stack: {
      activityWorkers: e.ACTIVITY_WORKERS,
      fakeClaudePort: e.FAKE_CLAUDE_PORT,
      temporalDevPort: e.TEMPORAL_DEV_PORT,
      temporalUiPort: e.TEMPORAL_UI_PORT,
      temporalDbFile: e.TEMPORAL_DB_FILE,
    },
  };
}
