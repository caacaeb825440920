import {
  CancellationScope,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  log,
  startChild,
} from '@temporalio/workflow';
import { webhookWorkflowId, type ChatJobState, type WebhookSettings } from '../shared';
import { webhookDeliveryWorkflow } from './webhook-delivery-workflow';

/**
 * Starts a finished job's completion-webhook delivery, for jobs submitted with a `callback_url`
 * (nothing at all otherwise: a job without one keeps exactly its commands and events).
 *
 * The delivery is a child abandoned by the job (`ParentClosePolicy.ABANDON`): the job closes as
 * soon as the child has started, so its status reads final at once while the child retries for up
 * to WEBHOOK_MAX_DELIVERY_MS. It is awaited until started because the server does not start a
 * child whose parent has already closed. The scope is non-cancellable so a cancelled job (whose
 * own scope is cancelled) still announces it. It never throws: a webhook must not change the
 * job's outcome.
 */
export async function startCompletionWebhook(
  webhook: WebhookSettings | undefined,
  state: ChatJobState,
): Promise<void> {
  if (!webhook) return;
  try {
    await CancellationScope.nonCancellable(() =>
      startChild(webhookDeliveryWorkflow, {
        workflowId: webhookWorkflowId(state.jobId),
        taskQueue: webhook.taskQueue,
        args: [{ jobId: state.jobId, webhook, state: { ...state } }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      }),
    );
  } catch (err) {
    log.warn('completion webhook not started', {
      jobId: state.jobId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
