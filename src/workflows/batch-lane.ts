import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { CallClaudeAgentInput } from '../activities/call-claude-agent';
import {
  batchCancelSignal,
  batchCollectorWorkflowId,
  batchResultSignal,
  type BatchDelivery,
  type BatchLaneSettings,
  type ClaudeAgentCallResult,
  type ChatJobInput,
  type ChatJobState,
  type ClaudeCallResult,
} from '../shared';
import { batchActivityOptions } from './activity-options';

type Activities = ReturnType<typeof createActivities>;

/** A job's side of the batch lane: it waits for the collector to hand it each call's outcome. */
export interface BatchLane {
  /**
   * Waits for model call `call`'s outcome: its result, or `undefined` when the batch request
   * expired and the call moves to the interactive lane. A final error fails the call.
   */
  wait(call: number): Promise<BatchedResult | undefined>;
  /** Agent steps after the first: hands the request to the collector, then waits for it. */
  enqueueAndWait(request: CallClaudeAgentInput): Promise<BatchedResult | undefined>;
}

/** A call's result with the batch that answered it. */
export type BatchedResult = ClaudeAgentCallResult & { batchId: string };

/**
 * Registers the job's result handler and returns its lane. Only jobs submitted with
 * `lane: "batch"` call this, so interactive jobs keep their commands and events unchanged.
 *
 * Cost per batch call: one `WorkflowExecutionSignaled` event and the workflow task it wakes (the
 * interactive call's three activity events are not written). Call 0 is handed to the collector
 * by the API at submission; later agent steps by one small activity.
 */
export function createBatchLane(input: {
  jobId: string;
  userId: string;
  model: { model: string };
  batch?: BatchLaneSettings;
  activityTaskQueue: string;
}): BatchLane {
  const deliveries = new Map<number, BatchDelivery>();
  setHandler(batchResultSignal, (delivery) => {
    // A redelivery (the delivering activity retried) changes nothing.
    if (!deliveries.has(delivery.call)) deliveries.set(delivery.call, delivery);
  });
  const collectorId = batchCollectorWorkflowId(input.model.model);

  async function wait(n: number): Promise<BatchedResult | undefined> {
    try {
      await condition(() => deliveries.has(n));
    } catch (err) {
      if (isCancellation(err)) {
        // The collector drops the request if unsent, or discards its result; best effort.
        await CancellationScope.nonCancellable(async () => {
          try {
            await getExternalWorkflowHandle(collectorId).signal(batchCancelSignal, {
              jobId: input.jobId,
              call: n,
            });
          } catch {
            // No collector running: nothing holds the request any more.
          }
        });
      }
      throw err;
    }
    const delivery = deliveries.get(n)!;
    if (delivery.outcome === 'succeeded') return { ...delivery.result, batchId: delivery.batchId };
    if (delivery.outcome === 'expired') return undefined;
    throw ApplicationFailure.create({
      type: delivery.error.type,
      message: delivery.error.message,
      nonRetryable: true,
    });
  }

  return {
    wait,
    async enqueueAndWait(request) {
      const { enqueueBatchRequest } = proxyActivities<Activities>(
        batchActivityOptions(input.activityTaskQueue),
      );
      await enqueueBatchRequest({
        request,
        settings: input.batch!,
        activityTaskQueue: input.activityTaskQueue,
      });
      return wait(request.call);
    },
  };
}

/**
 * A plain chat job's one model call in the batch lane: its result from the batch, or from the
 * interactive call when the batch request expired. Marks the job's state as a batch job.
 */
export async function batchChatCall(
  input: ChatJobInput,
  state: ChatJobState,
  interactive: () => Promise<ClaudeCallResult>,
): Promise<ClaudeCallResult> {
  state.lane = 'batch';
  const result = await createBatchLane(input).wait(0);
  if (!result) return interactive();
  const { content, batchId, ...rest } = result;
  state.batchId = batchId;
  return {
    ...rest,
    text: content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
  };
}

/**
 * One model call of an agent job in the batch lane. Call 0 was handed to the collector by the
 * API; later calls are enqueued by an activity whose input carries the transcript.
 */
export async function batchAgentCall(
  lane: BatchLane,
  request: CallClaudeAgentInput,
  interactive: () => Promise<ClaudeAgentCallResult>,
): Promise<ClaudeAgentCallResult & { batchId?: string }> {
  const result = request.call === 0 ? await lane.wait(0) : await lane.enqueueAndWait(request);
  return result ?? interactive();
}
