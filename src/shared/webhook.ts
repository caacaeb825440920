/** Sandbox-safe types of completion webhooks (see docs/webhooks.md). */
import type { ChatJobState } from './job';

/** Workflow type of a job's completion-webhook delivery. */
export const WEBHOOK_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';

/** Workflow id of a job's webhook delivery: derived from the job id, so GET finds it. */
export function webhookWorkflowId(jobId: string): string {
  return `webhook~${jobId}`;
}

/**
 * The Standard Webhooks `webhook-id` of a job's completion message. The same for every retry,
 * so a receiver that saw one attempt succeed can drop the next.
 */
export function webhookMessageId(jobId: string): string {
  return `${jobId}~final`;
}

/**
 * A job's completion webhook, fixed at submission (in the job's input, absent for jobs without
 * one, so their histories and costs are unchanged). The signing secret is never here: it would
 * be written into the history; the delivering activity reads it from its worker's configuration.
 */
export interface WebhookSettings {
  /** Where the finished job is POSTed (checked against the allowed prefixes at submit time). */
  url: string;
  /** All attempts and backoff together (WEBHOOK_MAX_DELIVERY_MS). */
  maxDeliveryMs: number;
  /** Bound on one attempt's connect and read (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** Task queue of the delivery workflow and its activity (the workflow workers'). */
  taskQueue: string;
}

/** Input of the delivery workflow. */
export interface WebhookDeliveryInput {
  jobId: string;
  webhook: WebhookSettings;
  /** The job's final state; the activity renders it as the job view `GET /chat/:id` returns. */
  state: ChatJobState;
}

/** Input of the `deliverWebhook` activity. */
export interface DeliverWebhookInput {
  jobId: string;
  url: string;
  timeoutMs: number;
  state: ChatJobState;
}

/** What one successful delivery returns. */
export interface DeliverWebhookResult {
  /** Temporal attempt that succeeded (1 = first). */
  attempt: number;
  /** HTTP status the receiver answered. */
  httpStatus: number;
  deliveredAt: string;
}

/** Result of the delivery workflow: read by `GET /chat/:job_id` once it has closed. */
export interface WebhookDeliveryResult {
  status: 'delivered' | 'failed';
  attempts: number;
  lastError?: string;
  deliveredAt?: string;
}
