/** Sandbox-safe job types shared by the API, the workflows and the activities. */
import type { WebhookSettings } from './webhook';

/** Lifecycle of a chat job as clients see it. */
export type JobStatus =
  | 'queued'
  | 'processing'
  /** An agent job waits for a person to approve or deny a tool call (src/shared/approvals.ts). */
  | 'awaiting_approval'
  | 'completed'
  | 'failed'
  | 'cancelled';

/** Numeric priority: 1 = high, 2 = medium, 3 = normal (the replaced design's scale). */
export type PriorityLevel = 1 | 2 | 3;

/** Names accepted for each numeric priority. */
export const PRIORITY_NAMES: Readonly<Record<'high' | 'medium' | 'normal', PriorityLevel>> = {
  high: 1,
  medium: 2,
  normal: 3,
};

/** The default priority of a job that names none. */
export const DEFAULT_PRIORITY: PriorityLevel = 3;

/**
 * Temporal priority keys run 1 (highest) to 5; our three levels map onto 1, 2 and 3 so that
 * Temporal's default (3) equals our "normal" and work started by other tools is not starved.
 */
export function toTemporalPriorityKey(priority: PriorityLevel): number {
  return priority;
}

/** Fair-share identity of a job: one key per user (or tenant), optionally weighted. */
export interface FairnessSettings {
  /** At most 64 bytes (a Temporal limit); the user id. */
  key: string;
  /** Share relative to other keys (default 1). */
  weight?: number;
}

/** Temporal task-queue priority of a job: its level, and its fair-share key within the level. */
export function toTemporalPriority(
  priority: PriorityLevel,
  fairness?: FairnessSettings,
): { priorityKey: number; fairnessKey?: string; fairnessWeight?: number } {
  return {
    priorityKey: toTemporalPriorityKey(priority),
    ...(fairness ? { fairnessKey: fairness.key } : {}),
    ...(fairness?.weight !== undefined ? { fairnessWeight: fairness.weight } : {}),
  };
}

/** Retry and timeout settings for the model call, fixed when the job is submitted. */
export interface ClaudeCallPolicy {
  /** Maximum attempts of the model call (1 = no retry). */
  maxAttempts: number;
  /** First retry delay in milliseconds. */
  initialRetryMs: number;
  /** Upper bound of the retry delay in milliseconds. */
  maxRetryMs: number;
  /** A live worker heartbeats well within this; a dead one is noticed after it. */
  heartbeatTimeoutMs: number;
  /** Bound on one attempt. */
  attemptTimeoutMs: number;
  /** Bound on the whole call, all attempts and backoff included. */
  deadlineMs: number;
}

/** The model settings a job runs with, fixed at submission so a retry never changes them. */
export interface ModelSettings {
  model: string;
  maxTokens: number;
  system?: string;
  /**
   * Overload fallback: after `afterOverloaded` 529 answers in a row, the call moves to `model`
   * for its remaining attempts (absent: 529s are retried on the same model).
   */
  fallback?: { model: string; afterOverloaded: number };
}

/** Everything a chat workflow needs; it is the workflow's only input (it reads no environment). */
export interface ChatJobInput {
  jobId: string;
  userId: string;
  message: string;
  priority: PriorityLevel;
  /** ISO-8601 time the API accepted the job. */
  submittedAt: string;
  model: ModelSettings;
  policy: ClaudeCallPolicy;
  /** Task queue of the activity workers that call Claude. */
  activityTaskQueue: string;
  /** Fair-share key and weight (absent in jobs submitted before fairness existed). */
  fairness?: FairnessSettings;
  /**
   * Add the job's tokens to the user's usage ledger. Absent in jobs submitted before plain chat
   * jobs were counted: those replay exactly as recorded, without the reporting step.
   */
  reportUsage?: boolean;
  /**
   * Cancelling waits until the model call is really aborted. Set on every job submitted since it
   * was added; absent in older histories, which decide with the `wait-for-cancellation` patch.
   */
  waitForCancellation?: boolean;
  /**
   * The model-call activity records the job's usage itself (src/usage) and the workflow reports
   * nothing: no history event for accounting. Set on jobs submitted since; `reportUsage` is then
   * absent, and older inputs keep their reporting step.
   */
  usageByActivity?: boolean;
  /** Completion webhook (absent: none; the job's commands are exactly those of a job without). */
  webhook?: WebhookSettings;
}

/** Token usage reported by the model. */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** What one successful model call returns to the workflow. */
export interface ClaudeCallResult {
  text: string;
  model: string;
  stopReason: string | null;
  usage: TokenUsage;
  /** Temporal attempt number that succeeded (1 = first). */
  attempt: number;
  /** ISO-8601 time the successful attempt started. */
  startedAt: string;
  /** ISO-8601 time the successful attempt finished. */
  finishedAt: string;
  /** True when the reply was cut to the configured maximum to stay within payload limits. */
  truncated?: boolean;
  /** True when the overload fallback model answered. */
  fallback?: boolean;
}

/** A failure as clients see it: a stable type and a human message, never a stack. */
export interface JobError {
  type: string;
  message: string;
}

/** The state a chat workflow exposes through its status query and returns as its result. */
export interface ChatJobState {
  jobId: string;
  userId: string;
  status: JobStatus;
  priority: PriorityLevel;
  submittedAt: string;
  startedAt?: string;
  completedAt?: string;
  response?: string;
  model?: string;
  stopReason?: string | null;
  usage?: TokenUsage;
  /** Model-call attempts the workflow knows of (the live attempt count comes from Temporal). */
  attempts: number;
  error?: JobError;
  /** True when the response was truncated to stay within Temporal's payload limits. */
  truncated?: boolean;
  /** True when Claude was overloaded and the configured fallback model answered. */
  fallback?: boolean;
}
