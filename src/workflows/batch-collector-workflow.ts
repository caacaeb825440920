import {
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  batchCancelSignal,
  batchEnqueueSignal,
  batchInfoQuery,
  type BatchCollectorInput,
  type BatchRequestRef,
  type InflightBatch,
} from '../shared';
import { batchActivityOptions } from './activity-options';

type Activities = ReturnType<typeof createActivities>;

/** An idle collector (nothing waiting, nothing sent) ends after this long; the next job restarts it. */
const IDLE_MS = 10 * 60_000;

/**
 * The current workflow task's time (epoch ms): deterministic on replay, so a flush or poll is
 * decided the same way every time; `new Date()` in a workflow reads it.
 */
const taskTime = (): number => new Date().getTime();

const sameRequest = (a: { jobId: string; call: number }) => (b: { jobId: string; call: number }) =>
  a.jobId === b.jobId && a.call === b.call;

/**
 * The collector of one model's batch requests (`batch-collector~<model>`). Jobs hand it a
 * reference to their request with one signal (O(1) small events per job; the bodies stay in
 * the jobs' histories); it sends a batch when `maxRequests` wait or `maxWaitMs` after the first
 * arrived, polls each sent batch with a timer between short poll activities (no worker slot is
 * held while a batch runs), then one activity reads the results and signals each job through
 * the client (no per-job command or event here). Retryable errored requests join a later batch.
 * It continues as new past `historyEvents`, carrying what waits and what is in flight.
 */
export async function batchCollectorWorkflow(input: BatchCollectorInput): Promise<void> {
  const { settings, model } = input;
  const pending: BatchRequestRef[] = [...(input.pending ?? [])];
  const batches: InflightBatch[] = [...(input.batches ?? [])];
  let firstAt: number | undefined = pending.length > 0 ? taskTime() : undefined;
  let cancelsToCheck = false;

  setHandler(batchEnqueueSignal, (ref) => {
    // The API re-sends a reference on an idempotent retry: one request per (job, call).
    const same = sameRequest(ref);
    if (pending.some(same) || batches.some((b) => b.requests.some(same))) return;
    pending.push(ref);
    firstAt ??= taskTime();
  });
  setHandler(batchCancelSignal, (ref) => {
    const index = pending.findIndex(sameRequest(ref));
    if (index >= 0) {
      pending.splice(index, 1);
      if (pending.length === 0) firstAt = undefined;
      return;
    }
    const batch = batches.find((b) => b.requests.some(sameRequest(ref)));
    if (batch && !batch.cancelled.includes(ref.jobId)) {
      batch.cancelled.push(ref.jobId);
      cancelsToCheck = true;
    }
  });
  setHandler(batchInfoQuery, (jobId) => {
    if (pending.some((r) => r.jobId === jobId)) return { status: 'collecting' };
    const batch = batches.find((b) => b.requests.some((r) => r.jobId === jobId));
    return batch
      ? { id: batch.id, status: 'in_progress', submittedAt: batch.submittedAt }
      : undefined;
  });

  const acts = proxyActivities<Activities>(batchActivityOptions(input.activityTaskQueue));
  const flushDue = () =>
    pending.length >= settings.maxRequests ||
    (firstAt !== undefined && taskTime() >= firstAt + settings.maxWaitMs);

  for (;;) {
    if (pending.length > 0 && flushDue()) {
      const requests = pending.splice(0, settings.maxRequests);
      firstAt = pending.length > 0 ? taskTime() : undefined;
      const created = await acts.createMessageBatch({ model, requests });
      if (created.id) {
        batches.push({
          id: created.id,
          submittedAt: created.submittedAt,
          requests: created.sent,
          pollMs: settings.pollInitialMs,
          nextPollAt: taskTime() + settings.pollInitialMs,
          cancelled: [],
        });
      }
      continue;
    }
    if (cancelsToCheck) {
      cancelsToCheck = false;
      // A batch whose every job was cancelled is cancelled at the API: nobody wants its results.
      for (const batch of batches.filter((b) => b.cancelled.length >= b.requests.length)) {
        await acts.cancelMessageBatch({ batchId: batch.id });
        batches.splice(batches.indexOf(batch), 1);
      }
    }
    for (const batch of batches.filter((b) => taskTime() >= b.nextPollAt)) {
      const status = await acts.pollMessageBatch({ batchId: batch.id });
      if (status.ended) {
        const outcome = await acts.deliverBatchResults({
          batchId: batch.id,
          submittedAt: batch.submittedAt,
          requests: batch.requests.filter((r) => !batch.cancelled.includes(r.jobId)),
          expired: settings.expired,
          maxAttempts: settings.maxAttempts,
        });
        batches.splice(batches.indexOf(batch), 1);
        for (const ref of outcome.retry) {
          pending.push(ref);
          firstAt ??= taskTime();
        }
      } else {
        batch.pollMs = Math.min(batch.pollMs * 2, settings.pollMaxMs);
        batch.nextPollAt = taskTime() + batch.pollMs;
      }
    }
    const info = workflowInfo();
    if (info.historyLength > settings.historyEvents || info.continueAsNewSuggested) {
      await continueAsNew<typeof batchCollectorWorkflow>({ ...input, pending, batches });
    }
    const idle = pending.length === 0 && batches.length === 0;
    const wakeAt = Math.min(
      firstAt !== undefined ? firstAt + settings.maxWaitMs : Infinity,
      ...batches.map((b) => b.nextPollAt),
    );
    const timeout = idle ? IDLE_MS : Math.max(1, wakeAt - taskTime());
    // A first arrival starts the wait clock: wake to re-arm the timer for it.
    const hadPending = pending.length > 0;
    const woken = await condition(
      () =>
        pending.length >= settings.maxRequests ||
        cancelsToCheck ||
        (!hadPending && pending.length > 0),
      timeout,
    );
    if (!woken && idle && pending.length === 0) return;
  }
}
