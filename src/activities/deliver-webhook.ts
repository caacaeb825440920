import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { toJobView } from '../api/job-view';
import type { WebhookConfig } from '../config/webhook-config';
import type { PriceTable } from '../observability/price-table';
import {
  FailureType,
  webhookMessageId,
  type DeliverWebhookInput,
  type DeliverWebhookResult,
} from '../shared';
import { signWebhook } from '../webhooks/signature';
import { webhookUrlProblem } from '../webhooks/url-guard';
import { parseRetryAfterMs } from './retry-after';

/** Dependencies of {@link createDeliverWebhook}. */
export interface DeliverWebhookDeps {
  webhooks: WebhookConfig;
  /** Prices for the job view's `cost_usd`, as `GET /chat/:job_id` shows it. */
  prices?: PriceTable;
  logger?: Logger;
}

/** Statuses a receiver may answer for a passing condition: retried like a 5xx. */
const RETRYABLE_4XX = new Set([408, 429]);

/**
 * Creates the `deliverWebhook` activity: one signed POST of the finished job's view. Temporal is
 * the only retrier (backoff, schedule-to-close WEBHOOK_MAX_DELIVERY_MS); each attempt is signed
 * anew with its own timestamp and the message's stable `webhook-id`. The URL is checked against
 * the allowed prefixes again here, redirects are never followed (a 3xx is a failed attempt) and
 * one attempt is bounded by its timeout, so a callback cannot be turned against internal hosts.
 */
export function createDeliverWebhook(deps: DeliverWebhookDeps) {
  return async function deliverWebhook(input: DeliverWebhookInput): Promise<DeliverWebhookResult> {
    const ctx = Context.current();
    const attempt = ctx.info.attempt;
    // Every failure carries the attempt number, so the delivery's final status can report it.
    const fail = (type: string, message: string, nonRetryable = false, retryAfterMs?: number) =>
      ApplicationFailure.create({
        type,
        message,
        nonRetryable,
        details: [{ attempt }],
        ...(retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}),
      });
    const problem = webhookUrlProblem(input.url, deps.webhooks.allowedUrlPrefixes);
    if (problem) throw fail(FailureType.WebhookUrlNotAllowed, `callback_url ${problem}`, true);
    const key = deps.webhooks.secret;
    if (!key) throw fail(FailureType.WebhookUrlNotAllowed, 'WEBHOOK_SECRET is not set', true);

    const body = JSON.stringify(toJobView(input.state, deps.prices));
    const headers = signWebhook(
      key,
      webhookMessageId(input.jobId),
      Math.floor(Date.now() / 1000),
      body,
    );
    let response: Response;
    try {
      response = await fetch(input.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([ctx.cancellationSignal, AbortSignal.timeout(input.timeoutMs)]),
      });
      // The answer's body is not needed: release the connection.
      await response.body?.cancel();
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${input.timeoutMs} ms`
          : `connection failed (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`;
      throw fail(FailureType.WebhookDeliveryFailed, `Webhook ${reason}`);
    }
    const status = response.status;
    if (status >= 200 && status < 300) {
      deps.logger?.debug({ job_id: input.jobId, attempt, http_status: status }, 'webhook sent');
      return { attempt, httpStatus: status, deliveredAt: new Date().toISOString() };
    }
    if (status >= 300 && status < 400) {
      throw fail(
        FailureType.WebhookDeliveryFailed,
        `Receiver answered ${status} (redirects are not followed)`,
      );
    }
    if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
      // The receiver refuses this very message: sending it again cannot change its mind.
      throw fail(FailureType.WebhookRejected, `Receiver answered ${status}`, true);
    }
    const retryAfterMs =
      status === 429 || status === 503 ? parseRetryAfterMs(response.headers) : undefined;
    throw fail(
      FailureType.WebhookDeliveryFailed,
      `Receiver answered ${status}`,
      false,
      retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : undefined,
    );
  };
}
