import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { decodeRawFailureMessage } from '../security/raw-payloads';
import { webhookWorkflowId } from '../shared';
import type { webhookDeliveryWorkflow } from '../workflows';
import { callWithin, type Deadline } from './request-deadline';
import type { JobView } from './schemas';

/** PendingActivityState.STARTED in Temporal's API: an attempt is running right now. */
const PENDING_ACTIVITY_STARTED = 2;

/** The `webhook` field of a job view. */
export type WebhookStatusView = NonNullable<JobView['webhook']>;

/**
 * The delivery status of a job's completion webhook, from its delivery workflow
 * (`webhook~<jobId>`): while it runs, ONE describe tells the pending activity's attempt and last
 * failure (no query, no worker); once closed, its result. Not started yet (the job is still
 * running) reads as pending with no attempt. Only jobs with a webhook pay for this read.
 */
export async function readWebhookStatus(
  client: Client,
  jobId: string,
  deadline: Deadline,
): Promise<WebhookStatusView> {
  const handle = client.workflow.getHandle<typeof webhookDeliveryWorkflow>(
    webhookWorkflowId(jobId),
  );
  let description;
  try {
    description = await callWithin(client, deadline, () => handle.describe());
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'pending', attempts: 0 };
    throw err;
  }
  switch (description.status.name) {
    case 'RUNNING': {
      const pending = description.raw.pendingActivities?.[0];
      if (!pending) return { status: 'pending', attempts: 0 };
      const attempt = pending.attempt ?? 1;
      // `attempt` is the one running now, or the next one while the activity waits to retry.
      const attempts =
        Number(pending.state) === PENDING_ACTIVITY_STARTED ? attempt : Math.max(0, attempt - 1);
      const lastError = pending.lastFailure
        ? await decodeRawFailureMessage(client, pending.lastFailure)
        : undefined;
      return {
        status: 'pending',
        attempts,
        ...(lastError !== undefined ? { last_error: lastError } : {}),
      };
    }
    case 'COMPLETED': {
      const result = await callWithin(client, deadline, () => handle.result());
      return {
        status: result.status,
        attempts: result.attempts,
        ...(result.lastError !== undefined ? { last_error: result.lastError } : {}),
      };
    }
    default:
      return {
        status: 'failed',
        attempts: 0,
        last_error: `The delivery ended as ${description.status.name}`,
      };
  }
}
