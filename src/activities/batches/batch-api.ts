import type Anthropic from '@anthropic-ai/sdk';
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { BatchRequestRef } from '../../shared';
import { classifyClaudeError } from '../classify-claude-error';
import type { ToolRegistry } from '../tools/registry';
import { mapLimit } from './map-limit';
import { readBatchRequest } from './request-source';
import { signalJobs } from './signal-jobs';

/** Job histories read at once while building a batch. */
const READ_CONCURRENCY = 16;

/** What the batch activities need. */
export interface BatchApiDeps {
  anthropic: Anthropic;
  logger: Logger;
  tools: ToolRegistry;
}

/** Result of {@link createBatchApiActivities}' `createMessageBatch`. */
export interface CreatedBatch {
  /** Absent when no request was left to send (all cancelled) or the API refused the batch. */
  id?: string;
  submittedAt: string;
  /** The references actually sent (cancelled or closed jobs are left out). */
  sent: BatchRequestRef[];
}

/** The activities that talk to the Batches API: create, poll, cancel. */
export function createBatchApiActivities(deps: BatchApiDeps) {
  return {
    /**
     * Reads each referenced job's request from its history and sends them as one Message Batch
     * (`custom_id` = job id). A refusal that retrying cannot fix (e.g. 400) fails every job of
     * the batch; anything else is retried by Temporal.
     */
    async createMessageBatch(input: {
      model: string;
      requests: BatchRequestRef[];
    }): Promise<CreatedBatch> {
      const client = Context.current().client;
      // Heartbeats as it reads: a thousand histories on a loaded server can outlast the
      // heartbeat timeout, and a timed-out attempt would start over (and could send twice).
      const read = await mapLimit(input.requests, READ_CONCURRENCY, async (ref) => {
        const params = await readBatchRequest(client, deps.tools, ref);
        Context.current().heartbeat();
        return { ref, params };
      });
      const ready = read.filter((r) => r.params !== undefined);
      const now = new Date().toISOString();
      if (ready.length === 0) return { submittedAt: now, sent: [] };
      try {
        const batch = await deps.anthropic.messages.batches.create({
          requests: ready.map((r) => ({ custom_id: r.ref.jobId, params: r.params! })),
        });
        deps.logger.info(
          { batch_id: batch.id, model: input.model, requests: ready.length },
          'message batch created',
        );
        return { id: batch.id, submittedAt: batch.created_at, sent: ready.map((r) => r.ref) };
      } catch (err) {
        const failure = classifyClaudeError(err, Context.current().info.attempt);
        if (!failure.nonRetryable) throw failure;
        deps.logger.warn({ failure_type: failure.type, model: input.model }, 'batch refused');
        await signalJobs(
          client,
          ready.map((r) => ({
            jobId: r.ref.jobId,
            delivery: {
              call: r.ref.call,
              batchId: '',
              outcome: 'failed',
              error: { type: failure.type ?? 'ClaudeUnknown', message: failure.message },
            },
          })),
        );
        return { submittedAt: now, sent: [] };
      }
    },

    /** One look at a sent batch: has it ended? */
    async pollMessageBatch(input: {
      batchId: string;
    }): Promise<{ ended: boolean; counts: Anthropic.Messages.MessageBatchRequestCounts }> {
      const batch = await deps.anthropic.messages.batches.retrieve(input.batchId);
      return { ended: batch.processing_status === 'ended', counts: batch.request_counts };
    },

    /** Cancels a batch whose every job was cancelled. */
    async cancelMessageBatch(input: { batchId: string }): Promise<void> {
      await deps.anthropic.messages.batches.cancel(input.batchId);
      deps.logger.info({ batch_id: input.batchId }, 'message batch cancelled');
    },
  };
}
