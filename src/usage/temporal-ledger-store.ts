import { WorkflowNotFoundError } from '@temporalio/common';
import { callWithin, deadlineIn } from '../api/request-deadline';
import type { Client } from '@temporalio/client';
import {
  USAGE_WORKFLOW_TYPE,
  recordUsageBatchSignal,
  usageWorkflowId,
  type UsageCallRecord,
  type UserUsageTotals,
} from '../shared';
import type { usageWorkflow } from '../workflows';
import type { UsageReader, UsageStore } from './types';

/** Options of {@link createTemporalLedgerStore}. */
export interface TemporalLedgerStoreOptions {
  client: Client;
  /** Task queue of the workflow workers, where a ledger this store starts runs. */
  workflowTaskQueue: string;
}

/**
 * The fallback store when no usage database is configured: the per-user ledger workflows.
 * A batch becomes one Signal-With-Start per user it holds, carrying that user's records, so the
 * ledger's cost is per flush, not per job. A batch fails whole if any user's signal fails; the
 * ledger drops the records it already counted when the batch is written again.
 */
export function createTemporalLedgerStore(options: TemporalLedgerStoreOptions): UsageStore {
  return {
    kind: 'temporal',
    async write(records: UsageCallRecord[]) {
      const byUser = new Map<string, UsageCallRecord[]>();
      for (const record of records) {
        const list = byUser.get(record.userId);
        if (list) list.push(record);
        else byUser.set(record.userId, [record]);
      }
      await Promise.all(
        [...byUser].map(([userId, batch]) =>
          options.client.workflow.signalWithStart<typeof usageWorkflow, [UsageCallRecord[]]>(
            USAGE_WORKFLOW_TYPE,
            {
              workflowId: usageWorkflowId(userId),
              taskQueue: options.workflowTaskQueue,
              args: [{ userId }],
              signal: recordUsageBatchSignal,
              signalArgs: [batch],
            },
          ),
        ),
      );
    },
    async close() {
      // The client belongs to the caller.
    },
  };
}

/**
 * A user's totals as the ledger workflow copied them into its memo (undefined: no ledger yet, or
 * none written). Reading the memo takes one `describe`: no worker, nothing replayed.
 */
export function ledgerTotals(
  memo: Record<string, unknown> | undefined,
): UserUsageTotals | undefined {
  return (memo as { usage?: UserUsageTotals } | undefined)?.usage;
}

/** Reads the ledger workflows' memos, each call bounded by `rpcTimeoutMs`. */
export function createTemporalLedgerReader(client: Client, rpcTimeoutMs: number): UsageReader {
  async function totals(userId: string): Promise<UserUsageTotals | undefined> {
    try {
      // Bounded like every Temporal call of a request: answered by the deadline even while the
      // client's retry interceptor sleeps between attempts against an unreachable server.
      const description = await callWithin(client, deadlineIn(rpcTimeoutMs), () =>
        client.workflow.getHandle(usageWorkflowId(userId)).describe(),
      );
      return ledgerTotals(description.memo);
    } catch (err) {
      // No ledger yet: the user has used nothing.
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }
  return {
    totals,
    async tokensOn(userId, day) {
      return (await totals(userId))?.days?.[day]?.tokens ?? 0;
    },
  };
}
