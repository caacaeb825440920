import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  proxyActivities,
} from '@temporalio/workflow';
import type { createWebhookActivities } from '../activities/webhook-activities';
import type { WebhookDeliveryInput, WebhookDeliveryResult } from '../shared';
import { webhookDeliveryOptions } from './activity-options';

type Activities = ReturnType<typeof createWebhookActivities>;

/**
 * Delivers one finished job's completion webhook. It runs as a child the job starts just before
 * it closes (abandoned, so the job's status is final at once while this retries for up to
 * WEBHOOK_MAX_DELIVERY_MS). Its id is `webhook~<jobId>`: `GET /chat/:job_id` reads the pending
 * activity (attempt, last failure) from its describe while it runs, and this result once closed.
 * It completes even when delivery fails: the outcome is data, not a workflow failure.
 */
export async function webhookDeliveryWorkflow(
  input: WebhookDeliveryInput,
): Promise<WebhookDeliveryResult> {
  const { deliverWebhook } = proxyActivities<Activities>(webhookDeliveryOptions(input.webhook));
  try {
    const result = await deliverWebhook({
      jobId: input.jobId,
      url: input.webhook.url,
      timeoutMs: input.webhook.timeoutMs,
      state: input.state,
    });
    return { status: 'delivered', attempts: result.attempt, deliveredAt: result.deliveredAt };
  } catch (err) {
    const failure = lastAttemptFailure(err);
    return {
      status: 'failed',
      attempts: attemptOf(failure) ?? 0,
      lastError:
        err instanceof ActivityFailure && err.cause instanceof TimeoutFailure
          ? `Not delivered within ${input.webhook.maxDeliveryMs} ms; last error: ${failure?.message ?? 'none'}`
          : (failure?.message ?? 'The webhook could not be delivered'),
    };
  }
}

/** The application failure of the last attempt (a deadline's timeout carries it as its cause). */
function lastAttemptFailure(err: unknown): ApplicationFailure | undefined {
  let cause: unknown = err instanceof ActivityFailure ? err.cause : err;
  while (cause instanceof TimeoutFailure) cause = cause.cause;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

function attemptOf(failure: ApplicationFailure | undefined): number | undefined {
  const detail = failure?.details?.[0] as { attempt?: unknown } | undefined;
  return typeof detail?.attempt === 'number' ? detail.attempt : undefined;
}
