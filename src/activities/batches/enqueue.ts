import type { Client } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import {
  BATCH_COLLECTOR_WORKFLOW_TYPE,
  batchCollectorWorkflowId,
  batchEnqueueSignal,
  type BatchCollectorInput,
  type BatchLaneSettings,
  type BatchRequestRef,
} from '../../shared';
import type { CallClaudeAgentInput } from '../call-claude-agent';

/** Which collector a request goes to, and how it is started if none runs. */
export interface CollectorTarget {
  model: string;
  settings: BatchLaneSettings;
  activityTaskQueue: string;
}

/**
 * Hands a request reference to its model's collector with one signal, starting the collector
 * if none runs (signalWithStart). Used by the API at submission (call 0) and by the enqueue
 * activity (later agent steps). Re-sending a reference is harmless: the collector keeps one per
 * (job, call), and the batch-creating activity drops requests of jobs no longer running.
 */
export async function enqueueBatchRef(
  client: Client,
  target: CollectorTarget,
  ref: BatchRequestRef,
): Promise<void> {
  const input: BatchCollectorInput = {
    model: target.model,
    activityTaskQueue: target.activityTaskQueue,
    settings: target.settings,
  };
  await client.workflow.signalWithStart(BATCH_COLLECTOR_WORKFLOW_TYPE, {
    workflowId: batchCollectorWorkflowId(target.model),
    taskQueue: target.settings.collectorTaskQueue,
    args: [input],
    signal: batchEnqueueSignal,
    signalArgs: [ref],
  });
}

/** Input of {@link enqueueBatchRequest}: the request itself stays in the job's history. */
export interface EnqueueBatchRequestInput {
  request: CallClaudeAgentInput;
  settings: BatchLaneSettings;
  activityTaskQueue: string;
}

/**
 * The `enqueueBatchRequest` activity: an agent step after the first joins the next batch. Its
 * input (the transcript so far) is recorded in the job's history, where the batch-creating
 * activity reads it back: the collector only ever sees the reference.
 */
export async function enqueueBatchRequest(input: EnqueueBatchRequestInput): Promise<void> {
  const { request } = input;
  await enqueueBatchRef(
    Context.current().client,
    {
      model: request.model.model,
      settings: input.settings,
      activityTaskQueue: input.activityTaskQueue,
    },
    {
      jobId: request.jobId,
      userId: request.userId,
      call: request.call,
      kind: 'agent',
      ...(request.recordUsage ? { recordUsage: true } : {}),
    },
  );
}
