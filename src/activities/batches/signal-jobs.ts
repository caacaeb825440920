import type { Client } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/common';
import { batchResultSignal, type BatchDelivery } from '../../shared';
import { mapLimit } from './map-limit';

/** Signals sent at once while delivering a batch's outcomes. */
const SIGNAL_CONCURRENCY = 32;

/**
 * Hands each job its outcome with a signal through the client: one event in the job's history
 * and none in the collector's (a SignalExternalWorkflow command per job would add two there).
 * A job that has closed meanwhile (cancelled) is skipped. Heartbeats as it goes.
 */
export async function signalJobs(
  client: Client,
  deliveries: { jobId: string; delivery: BatchDelivery }[],
): Promise<void> {
  let done = 0;
  await mapLimit(deliveries, SIGNAL_CONCURRENCY, async ({ jobId, delivery }) => {
    try {
      await client.workflow.getHandle(jobId).signal(batchResultSignal, delivery);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    done += 1;
    if (done % 100 === 0) Context.current().heartbeat({ signalled: done });
  });
}
