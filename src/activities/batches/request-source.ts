import type Anthropic from '@anthropic-ai/sdk';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { decodeRawPayload } from '../../security/raw-payloads';
import type { AgentJobInput, BatchRequestRef, ChatJobInput } from '../../shared';
import { agentParams, type CallClaudeAgentInput } from '../call-claude-agent';
import { chatParams } from '../call-claude';
import type { ToolRegistry } from '../tools/registry';
import type { EnqueueBatchRequestInput } from './enqueue';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The activity whose scheduled event carries a later agent step's request. */
export const ENQUEUE_ACTIVITY_TYPE = 'enqueueBatchRequest';

/** True once the job no longer wants an answer: cancel requested, or closed. */
function jobIsDone(events: HistoryEvent[]): boolean {
  return events.some(
    (e) =>
      e.workflowExecutionCancelRequestedEventAttributes ||
      e.workflowExecutionCompletedEventAttributes ||
      e.workflowExecutionFailedEventAttributes ||
      e.workflowExecutionCanceledEventAttributes ||
      e.workflowExecutionTerminatedEventAttributes ||
      e.workflowExecutionTimedOutEventAttributes ||
      e.workflowExecutionContinuedAsNewEventAttributes,
  );
}

/** The first model call of an agent job, as its workflow would make it. */
function firstAgentRequest(input: AgentJobInput): CallClaudeAgentInput {
  return {
    jobId: input.jobId,
    userId: input.userId,
    call: 0,
    messages: [...input.history, { role: 'user', content: input.message }],
    model: input.model,
    tools: input.tools.enabled,
    toolChoice: input.tools.maxSteps <= 1 ? 'none' : 'auto',
    promptCaching: input.promptCaching,
  };
}

/** The request of a later agent step: the input of its enqueue activity, in the job's history. */
async function laterAgentRequest(
  client: Client,
  events: HistoryEvent[],
  call: number,
): Promise<CallClaudeAgentInput | undefined> {
  for (const event of [...events].reverse()) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== ENQUEUE_ACTIVITY_TYPE) continue;
    const payload = scheduled.input?.payloads?.[0];
    if (!payload) continue;
    const input = await decodeRawPayload<EnqueueBatchRequestInput>(client, payload);
    if (input?.request.call === call) return input.request;
  }
  return undefined;
}

/**
 * The Messages API request a batch reference stands for, read from the job's own history (its
 * start input for call 0, its enqueue activity's input for later agent steps), so request
 * bodies never pass through the collector's history. Undefined when the job was cancelled or
 * has closed (its request is then left out of the batch) or the request cannot be found.
 * Reading a history is a read, not a billable Temporal action.
 */
export async function readBatchRequest(
  client: Client,
  tools: ToolRegistry,
  ref: BatchRequestRef,
): Promise<Anthropic.MessageCreateParamsNonStreaming | undefined> {
  const params = await readParams(client, tools, ref);
  // A batch request never streams.
  return params
    ? ({ ...params, stream: false } as Anthropic.MessageCreateParamsNonStreaming)
    : undefined;
}

async function readParams(
  client: Client,
  tools: ToolRegistry,
  ref: BatchRequestRef,
): Promise<Anthropic.MessageStreamParams | undefined> {
  let events: HistoryEvent[];
  try {
    events = (await client.workflow.getHandle(ref.jobId).fetchHistory()).events ?? [];
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  if (jobIsDone(events)) return undefined;
  if (ref.call > 0) {
    const request = await laterAgentRequest(client, events, ref.call);
    // Batch-lane jobs keep their messages inline (no transcript by reference).
    return request
      ? agentParams(tools, request, request.messages ?? [], request.model.model)
      : undefined;
  }
  const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  if (ref.kind === 'chat') {
    const input = await decodeRawPayload<ChatJobInput>(client, payload);
    return input ? chatParams(input, input.model.model) : undefined;
  }
  const input = await decodeRawPayload<AgentJobInput>(client, payload);
  if (!input) return undefined;
  const first = firstAgentRequest(input);
  return agentParams(tools, first, first.messages ?? [], input.model.model);
}
