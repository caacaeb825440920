/**
 * Failure type names carried by every ApplicationFailure this service raises.
 *
 * They are explicit strings (never `constructor.name`, which minification rewrites) so that
 * retry policies (`nonRetryableErrorTypes`), the job view and metrics can rely on them.
 */
export const FailureType = {
  /** 400 / 404 / 413 / 422: the request itself is wrong; retrying cannot help. */
  ClaudeInvalidRequest: 'ClaudeInvalidRequest',
  /** 401: the API key is missing or wrong. */
  ClaudeAuthentication: 'ClaudeAuthentication',
  /** 403: the key may not use this model or feature. */
  ClaudePermissionDenied: 'ClaudePermissionDenied',
  /** 429 caused by a spend limit / billing: retrying only burns attempts. */
  ClaudeSpendLimit: 'ClaudeSpendLimit',
  /** 429 rate limit: retried, honouring retry-after. */
  ClaudeRateLimited: 'ClaudeRateLimited',
  /** 529: Anthropic is overloaded globally; retried, honouring retry-after. */
  ClaudeOverloaded: 'ClaudeOverloaded',
  /** 5xx other than 529. */
  ClaudeServerError: 'ClaudeServerError',
  /** 408 / 409: transient conflicts and timeouts reported by the API. */
  ClaudeTransient: 'ClaudeTransient',
  /** The connection failed, was reset, or the stream ended early or with an error event. */
  ClaudeConnection: 'ClaudeConnection',
  /** The model call did not answer within its own timeout. */
  ClaudeTimeout: 'ClaudeTimeout',
  /** Anything unclassified: retried, because a surprise is more often transient than not. */
  ClaudeUnknown: 'ClaudeUnknown',
  /** The worker running the call shut down past its grace time; retried on another worker. */
  WorkerShutdown: 'WorkerShutdown',
  /** A worker stopped heartbeating (crashed, partitioned) or overran an attempt on the last try. */
  WorkerLost: 'WorkerLost',
  /** The job's overall deadline passed. */
  JobDeadlineExceeded: 'JobDeadlineExceeded',
  /** An operator terminated the workflow. */
  JobTerminated: 'JobTerminated',
  /** The job was cancelled by its owner. */
  JobCancelled: 'JobCancelled',
  /** A conversation refused a message: too many of its messages are already waiting. */
  ConversationQueueFull: 'ConversationQueueFull',
  /** A conversation refused a message sent with `on_busy: "reject"`: a turn is running. */
  ConversationBusy: 'ConversationBusy',
  /** A model call's usage could not be committed to the usage store; the call is retried. */
  UsageNotRecorded: 'UsageNotRecorded',
  /**
   * A model call found its job's transcript incomplete in the transcript store (e.g. file stores
   * on several machines): retrying on the same store cannot help.
   */
  TranscriptMissing: 'TranscriptMissing',
  /**
   * The job's `max_cost_usd` would be exceeded by its first model call (worst case: estimated
   * input plus `max_tokens` output), so no answer could be produced within it.
   */
  CostCapExceeded: 'CostCapExceeded',
  /** A webhook receiver answered 4xx (other than 408/429): retrying the same message cannot help. */
  WebhookRejected: 'WebhookRejected',
  /** A webhook URL is outside WEBHOOK_ALLOWED_URL_PREFIXES (checked again by the activity). */
  WebhookUrlNotAllowed: 'WebhookUrlNotAllowed',
  /** A webhook attempt failed: 5xx, 408, 429, a redirect, a timeout or a connection error. */
  WebhookDeliveryFailed: 'WebhookDeliveryFailed',
} as const;

/** One of the {@link FailureType} strings. */
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

/** Failure types that must fail the job on their first occurrence. */
export const NON_RETRYABLE_FAILURE_TYPES: readonly FailureTypeName[] = [
  FailureType.ClaudeInvalidRequest,
  FailureType.ClaudeAuthentication,
  FailureType.ClaudePermissionDenied,
  FailureType.ClaudeSpendLimit,
];
