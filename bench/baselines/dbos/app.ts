/**
 * The REST contract on DBOS Transact: POST /chat enqueues one chat workflow on the DBOS queue
 * (workflow id = job id, DBOS priority = our level, 1 highest) through a DBOSClient; GET reads
 * the workflow's status row.
 */
import type { DBOSClient, WorkflowStatus } from '@dbos-inc/dbos-sdk';
import type express from 'express';
import {
  createContractApp,
  type ChatJobInput,
  type ChatJobResult,
  type JobView,
} from '../contract';
import { CHAT_WORKFLOW, type DbosSettings } from './config';

/** Maps DBOS workflow statuses onto the contract's. */
function statusOf(status: string): JobView['status'] {
  switch (status) {
    case 'PENDING':
      return 'processing';
    case 'SUCCESS':
      return 'completed';
    case 'ERROR':
    case 'CANCELLED':
    case 'MAX_RECOVERY_ATTEMPTS_EXCEEDED':
      return 'failed';
    default:
      // ENQUEUED, DELAYED
      return 'queued';
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The contract view of one workflow status row. */
export function dbosJobView(id: string, s: WorkflowStatus): JobView {
  const input = (s.input as [ChatJobInput] | undefined)?.[0];
  const result = s.output as ChatJobResult | undefined | null;
  const status = statusOf(s.status);
  const error = s.error as { message?: string } | string | undefined;
  return {
    job_id: id,
    ...(input ? { user_id: input.user_id } : {}),
    status,
    ...(result ? { response: result.text, usage: result.usage, model: result.model } : {}),
    ...(status === 'failed'
      ? {
          error: {
            type: 'failed',
            message: typeof error === 'string' ? error : (error?.message ?? s.status),
          },
        }
      : {}),
    attempts: result?.attempts ?? 1 + Math.max(0, (s.recoveryAttempts ?? 1) - 1),
    priority: s.priority,
    submitted_at: input?.submitted_at ?? new Date(s.createdAt).toISOString(),
    ...(result
      ? { started_at: result.started_at }
      : s.dequeuedAt
        ? { started_at: iso(s.dequeuedAt) }
        : {}),
    ...(result
      ? { completed_at: result.finished_at }
      : s.completedAt
        ? { completed_at: iso(s.completedAt) }
        : {}),
  };
}

/** The express app of the baseline API. */
export function createDbosApp(client: DBOSClient, settings: DbosSettings): express.Express {
  return createContractApp('dbos', {
    async submit(id, input) {
      await client.enqueue(
        {
          queueName: settings.DBOS_QUEUE,
          workflowName: CHAT_WORKFLOW,
          workflowID: id,
          priority: input.priority,
          appVersion: settings.DBOS_APP_VERSION,
        },
        input,
      );
    },
    async lookup(id) {
      const s = await client.getWorkflow(id);
      return s ? dbosJobView(id, s) : undefined;
    },
    async ready() {
      await client.retrieveQueue(settings.DBOS_QUEUE);
    },
  });
}
