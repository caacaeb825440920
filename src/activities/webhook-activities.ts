import { createDeliverWebhook, type DeliverWebhookDeps } from './deliver-webhook';

/**
 * The completion-webhook activity, registered by workflow workers: it runs on the workflow task
 * queue, never behind the Claude queue's rate limit or its slots.
 */
export function createWebhookActivities(deps: DeliverWebhookDeps) {
  return { deliverWebhook: createDeliverWebhook(deps) };
}

export type { DeliverWebhookDeps } from './deliver-webhook';
