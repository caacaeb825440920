import Anthropic from '@anthropic-ai/sdk';
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { WorkerMetrics } from '../../observability/worker-metrics';
import { FailureType, type BatchDelivery, type BatchRequestRef } from '../../shared';
import { commitCallUsage } from '../../usage/commit-call-usage';
import type { UsageSink } from '../../usage/types';
import { classifyClaudeError } from '../classify-claude-error';
import { keptContent, tokenUsage } from '../model-call';
import { signalJobs } from './signal-jobs';

/** What delivering a batch's results needs. */
export interface DeliverDeps {
  anthropic: Anthropic;
  logger: Logger;
  maxResponseChars: number;
  usage?: UsageSink;
  metrics?: WorkerMetrics;
}

/** Input of `deliverBatchResults`. */
export interface DeliverInput {
  batchId: string;
  submittedAt: string;
  /** The batch's requests still wanted (cancelled jobs' are left out: their results are dropped). */
  requests: BatchRequestRef[];
  expired: 'interactive' | 'fail';
  maxAttempts: number;
}

/** What the collector does next: requests to send again in a later batch. */
export interface DeliverOutcome {
  retry: BatchRequestRef[];
  succeeded: number;
  failed: number;
  expired: number;
}

/** A request's `errored` result as the SDK error the failure table classifies. */
function batchError(error: Anthropic.ErrorResponse): Error {
  return new Anthropic.APIError(undefined, error, error.error.message, undefined);
}

/**
 * Reads an ended batch's results (JSONL, matched by `custom_id` = job id) and hands each job its
 * outcome. A success commits its usage to the ledger first, keyed (job id, call) like the
 * interactive model call's, so a retry of this activity counts nothing twice; then every job is
 * signalled through the client. An `errored` result is classified with the model call's failure
 * table: retryable ones go back to the collector for a later batch (up to `maxAttempts`
 * batches), final ones fail the job. `expired` moves the call to the interactive lane, or fails
 * it with BATCH_EXPIRED=fail. A request with no result line is sent again.
 */
export function createDeliverBatchResults(deps: DeliverDeps) {
  return async function deliverBatchResults(input: DeliverInput): Promise<DeliverOutcome> {
    const byJob = new Map(input.requests.map((ref) => [ref.jobId, ref]));
    const deliveries: { jobId: string; delivery: BatchDelivery }[] = [];
    const outcome: DeliverOutcome = { retry: [], succeeded: 0, failed: 0, expired: 0 };
    const finishedAt = new Date().toISOString();
    const fail = (ref: BatchRequestRef, type: string, message: string) => {
      outcome.failed += 1;
      deliveries.push({
        jobId: ref.jobId,
        delivery: {
          call: ref.call,
          batchId: input.batchId,
          outcome: 'failed',
          error: { type, message },
        },
      });
    };
    for await (const line of await deps.anthropic.messages.batches.results(input.batchId)) {
      const ref = byJob.get(line.custom_id);
      if (!ref) continue;
      byJob.delete(line.custom_id);
      const tries = (ref.tries ?? 0) + 1;
      const result = line.result;
      if (result.type === 'succeeded') {
        const message = result.message;
        const kept = keptContent(message, deps.maxResponseChars);
        const usage = tokenUsage(message.usage, ref.kind === 'agent');
        if (ref.recordUsage) {
          await commitCallUsage(deps.usage, {
            jobId: ref.jobId,
            call: ref.call,
            userId: ref.userId,
            model: message.model,
            usage,
            at: finishedAt,
          });
        }
        deps.metrics?.recordUsage(message.model, usage, { batch: true });
        outcome.succeeded += 1;
        deliveries.push({
          jobId: ref.jobId,
          delivery: {
            call: ref.call,
            batchId: input.batchId,
            outcome: 'succeeded',
            result: {
              content: kept.content,
              model: message.model,
              stopReason: message.stop_reason,
              usage,
              attempt: tries,
              startedAt: input.submittedAt,
              finishedAt,
              ...(kept.truncated ? { truncated: true } : {}),
            },
          },
        });
      } else if (result.type === 'errored') {
        const failure = classifyClaudeError(batchError(result.error), tries);
        if (!failure.nonRetryable && tries < input.maxAttempts) {
          outcome.retry.push({ ...ref, tries });
        } else {
          fail(ref, failure.type ?? FailureType.ClaudeUnknown, failure.message);
        }
      } else if (result.type === 'expired') {
        outcome.expired += 1;
        if (input.expired === 'interactive') {
          deliveries.push({
            jobId: ref.jobId,
            delivery: { call: ref.call, batchId: input.batchId, outcome: 'expired' },
          });
        } else {
          fail(ref, FailureType.BatchExpired, 'The batch request expired before it was processed');
        }
      }
      // `canceled`: only batches whose every job was cancelled are cancelled; nothing to hand.
    }
    // Requests the results did not mention are sent again.
    for (const ref of byJob.values()) outcome.retry.push({ ...ref, tries: (ref.tries ?? 0) + 1 });
    await signalJobs(Context.current().client, deliveries);
    deps.logger.info(
      { batch_id: input.batchId, ...outcome, retry: outcome.retry.length },
      'message batch delivered',
    );
    return outcome;
  };
}
