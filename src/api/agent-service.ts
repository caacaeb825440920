import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/common';
import type { Logger } from 'pino';
import { createToolRegistry } from '../activities/tools/registry';
import type { AppConfig } from '../config';
import { estimateCostUsd } from '../observability/price-table';
import {
  AGENT_WORKFLOW_TYPE,
  CONVERSATION_WORKFLOW_TYPE,
  conversationJobId,
  conversationWorkflowId,
  getConversationQuery,
  parseConversationJobId,
  submitMessageUpdate,
  toTemporalPriority,
  type AgentJobInput,
  type ModelSettings,
  type AgentToolSettings,
  type ConversationMemo,
  type ConversationSettings,
  type ConversationState,
  type ConversationTurn,
  type PriorityLevel,
} from '../shared';
import type { agentWorkflow, conversationWorkflow } from '../workflows';
import type { ConversationView } from './agent-schemas';
import { HttpError } from './http-error';
import type { SubmitResult } from './job-service';
import {
  fairnessFor,
  jobIdForIdempotencyKey,
  jobSearchAttributes,
  toUnavailable,
  userIdSearchAttribute,
} from './temporal-calls';
import type { JobMemo } from './job-view';
import type { JobView } from './schemas';

/** A single message answered with tools (no conversation). */
export interface SubmitAgentJob {
  userId: string;
  message: string;
  priority: PriorityLevel;
  deadlineMs?: number;
  idempotencyKey?: string;
  /** Model settings after validation against what the operator allows (default: config). */
  model?: ModelSettings;
}

/** A message for a conversation. */
export interface SubmitConversationMessage extends SubmitAgentJob {
  conversationId: string;
  tools: boolean;
}

/** The Temporal side of agent jobs and conversations. */
export interface AgentService {
  submitJob(job: SubmitAgentJob): Promise<SubmitResult>;
  submitMessage(message: SubmitConversationMessage): Promise<SubmitResult & { turn: number }>;
  /** A conversation turn whose job has not started yet (queued behind earlier turns). */
  getQueuedTurn(jobId: string): Promise<JobView | undefined>;
  getConversation(userId: string, conversationId: string): Promise<ConversationView | undefined>;
}

/** Dependencies of {@link createAgentService}. */
export interface AgentServiceDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
}

/**
 * Creates the agent service. Conversations are addressed by `conv~<user>~<conversation>`; each
 * message is delivered with Update-with-Start (`USE_EXISTING`), whose update id is the job id, so
 * a retried POST is deduplicated by Temporal itself.
 */
export function createAgentService(deps: AgentServiceDeps): AgentService {
  const { client, config } = deps;
  const registry = createToolRegistry();
  const prices = config.observability.prices;

  function bounded<T>(call: () => Promise<T>): Promise<T> {
    return client.withDeadline(Date.now() + config.http.temporalRpcTimeoutMs, call);
  }

  function toolSettings(enabled: boolean): AgentToolSettings {
    return {
      enabled,
      maxSteps: config.agent.maxSteps,
      policies: registry.policies(config.agent.toolPolicy),
      defaultPolicy: config.agent.toolPolicy,
      taskQueue: config.taskQueues.tools,
    };
  }

  async function submitJob(job: SubmitAgentJob): Promise<SubmitResult> {
    const jobId = job.idempotencyKey
      ? jobIdForIdempotencyKey(job.userId, job.idempotencyKey)
      : randomUUID();
    const submittedAt = new Date().toISOString();
    const input: AgentJobInput = {
      jobId,
      userId: job.userId,
      message: job.message,
      history: [],
      priority: job.priority,
      submittedAt,
      model: job.model ?? config.claude.model,
      policy: {
        ...config.claude.policy,
        deadlineMs: job.deadlineMs ?? config.claude.policy.deadlineMs,
      },
      tools: toolSettings(true),
      promptCaching: config.agent.promptCaching,
      activityTaskQueue: config.taskQueues.activities,
      workflowTaskQueue: config.taskQueues.workflows,
      // Each model call records its usage from the activity (src/usage): no history events.
      usageByActivity: true,
    };
    const memo: JobMemo = {
      user_id: job.userId,
      priority: job.priority,
      submitted_at: submittedAt,
    };
    try {
      await bounded(() =>
        client.workflow.start<typeof agentWorkflow>(AGENT_WORKFLOW_TYPE, {
          taskQueue: config.taskQueues.workflows,
          workflowId: jobId,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          args: [input],
          memo: { ...memo },
          typedSearchAttributes: jobSearchAttributes(job.userId, job.priority),
          priority: toTemporalPriority(
            job.priority,
            fairnessFor(job.userId, config.scheduling.fairnessWeights),
          ),
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError && job.idempotencyKey) {
        return { jobId, submittedAt, created: false };
      }
      throw toUnavailable(err);
    }
    deps.logger.info({ job_id: jobId, user_id: job.userId, tools: true }, 'agent job submitted');
    return { jobId, submittedAt, created: true };
  }

  function settings(): ConversationSettings {
    const c = config.agent.conversation;
    return {
      model: config.claude.model,
      policy: config.claude.policy,
      tools: toolSettings(true),
      promptCaching: config.agent.promptCaching,
      activityTaskQueue: config.taskQueues.activities,
      workflowTaskQueue: config.taskQueues.workflows,
      maxTurnsPerRun: c.maxTurnsPerRun,
      idleTimeoutMs: c.idleTimeoutMs,
      contextTurns: c.contextTurns,
      contextChars: c.contextChars,
      maxQueued: c.maxQueued,
      previewChars: c.previewChars,
      usageByActivity: true,
    };
  }

  /** The state a closed conversation ended with, to seed its restart; undefined if none. */
  async function closedState(
    workflowId: string,
    description: WorkflowExecutionDescription,
  ): Promise<ConversationState | undefined> {
    if (description.status.name !== 'COMPLETED') return undefined;
    return client.workflow.getHandle<typeof conversationWorkflow>(workflowId).result();
  }

  async function describeOrUndefined(
    workflowId: string,
  ): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await bounded(() => client.workflow.getHandle(workflowId).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw toUnavailable(err);
    }
  }

  async function submitMessage(
    message: SubmitConversationMessage,
  ): Promise<SubmitResult & { turn: number }> {
    const workflowId = conversationWorkflowId(message.userId, message.conversationId);
    const uuid = message.idempotencyKey
      ? jobIdForIdempotencyKey(
          message.userId,
          `${message.conversationId}\n${message.idempotencyKey}`,
        )
      : randomUUID();
    const jobId = conversationJobId(workflowId, uuid);
    const submittedAt = new Date().toISOString();
    // A conversation that closed after idling restarts with its transcript. (If it closes
    // between this read and the update, the restart begins without it: a narrow race, taken
    // over adding I/O to the workflow.)
    const description = await describeOrUndefined(workflowId);
    const seed =
      description && description.status.name !== 'RUNNING'
        ? await bounded(() => closedState(workflowId, description)).catch(() => undefined)
        : undefined;
    const memo: ConversationMemo = {
      user_id: message.userId,
      conversation_id: message.conversationId,
      pending: [],
    };
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof conversationWorkflow>(
      CONVERSATION_WORKFLOW_TYPE,
      {
        workflowId,
        taskQueue: config.taskQueues.workflows,
        // A running conversation receives the message; otherwise this starts it.
        workflowIdConflictPolicy: 'USE_EXISTING',
        // The user's fair-share key: Temporal merges priorities field by field, so the turns
        // (children) and their activities inherit it when they set only a priority key.
        priority: toTemporalPriority(
          message.priority,
          fairnessFor(message.userId, config.scheduling.fairnessWeights),
        ),
        args: [
          {
            userId: message.userId,
            conversationId: message.conversationId,
            settings: settings(),
            ...(seed ? { state: seed } : {}),
          },
        ],
        memo: { ...memo },
        typedSearchAttributes: [{ key: userIdSearchAttribute, value: message.userId }],
      },
    );
    let result;
    try {
      result = await bounded(() =>
        client.workflow.executeUpdateWithStart(submitMessageUpdate, {
          args: [
            {
              jobId,
              message: message.message,
              submittedAt,
              priority: message.priority,
              tools: message.tools,
            },
          ],
          // Temporal deduplicates updates by id within a run: a retried POST is one message.
          updateId: jobId,
          startWorkflowOperation,
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause;
        if (cause instanceof ApplicationFailure && cause.type === 'ConversationQueueFull') {
          throw new HttpError(429, 'conversation_busy', cause.message, undefined, {
            'Retry-After': '5',
          });
        }
        throw HttpError.validation([
          { field: 'message', message: cause?.message ?? 'refused by the conversation' },
        ]);
      }
      throw toUnavailable(err);
    }
    deps.logger.info(
      { job_id: result.jobId, workflow_id: workflowId, user_id: message.userId, turn: result.turn },
      result.duplicate ? 'conversation message already accepted' : 'conversation message accepted',
    );
    return {
      jobId: result.jobId,
      submittedAt: result.submittedAt,
      created: !result.duplicate,
      turn: result.turn,
    };
  }

  /** The conversation's state: from its query while running, from its result once closed. */
  async function conversationState(
    workflowId: string,
    description: WorkflowExecutionDescription,
  ): Promise<ConversationState | undefined> {
    const handle = client.workflow.getHandle<typeof conversationWorkflow>(workflowId);
    if (description.status.name === 'RUNNING') {
      try {
        return await client.withDeadline(Date.now() + config.http.statusQueryTimeoutMs, () =>
          handle.query(getConversationQuery),
        );
      } catch {
        return undefined;
      }
    }
    try {
      return await bounded(() => closedState(workflowId, description));
    } catch (err) {
      throw toUnavailable(err);
    }
  }

  function turnView(state: { userId: string; conversationId: string }, turn: ConversationTurn) {
    const cost =
      turn.usage && turn.model ? estimateCostUsd(prices, turn.model, turn.usage) : undefined;
    return {
      job_id: turn.jobId,
      user_id: state.userId,
      status: turn.status,
      ...(turn.response !== undefined ? { response: turn.response } : {}),
      ...(turn.error ? { error: turn.error } : {}),
      ...(turn.usage ? { usage: turn.usage } : {}),
      ...(turn.model ? { model: turn.model } : {}),
      ...(cost !== undefined ? { cost_usd: cost } : {}),
      attempts: 0,
      priority: turn.priority,
      submitted_at: turn.submittedAt,
      ...(turn.startedAt ? { started_at: turn.startedAt } : {}),
      ...(turn.completedAt ? { completed_at: turn.completedAt } : {}),
      conversation_id: state.conversationId,
      turn: turn.turn,
    };
  }

  async function getQueuedTurn(jobId: string): Promise<JobView | undefined> {
    const ref = parseConversationJobId(jobId);
    if (!ref) return undefined;
    const description = await describeOrUndefined(ref.workflowId);
    if (!description || description.type !== CONVERSATION_WORKFLOW_TYPE) return undefined;
    const state = await conversationState(ref.workflowId, description);
    if (state) {
      const turn = state.turns.find((t) => t.jobId === jobId);
      return turn ? turnView(state, turn) : undefined;
    }
    // No worker answered the query: the memo lists the queued turns.
    const memo = description.memo as ConversationMemo | undefined;
    const pending = memo?.pending?.find(([id]) => id === jobId);
    if (!pending) return undefined;
    const [, turn, submittedAt, priority] = pending;
    return {
      job_id: jobId,
      user_id: ref.userId,
      status: 'queued',
      attempts: 0,
      priority,
      submitted_at: submittedAt,
      conversation_id: ref.conversationId,
      turn,
    };
  }

  async function getConversation(
    userId: string,
    conversationId: string,
  ): Promise<ConversationView | undefined> {
    const workflowId = conversationWorkflowId(userId, conversationId);
    const description = await describeOrUndefined(workflowId);
    if (!description || description.type !== CONVERSATION_WORKFLOW_TYPE) return undefined;
    const state = await conversationState(workflowId, description);
    if (!state) {
      throw HttpError.unavailable('No workflow worker answered; try again shortly', 2);
    }
    const turns = state.turns.map((turn) => ({
      ...turnView(state, turn),
      message: turn.message,
      ...(turn.toolCalls !== undefined ? { tool_calls: turn.toolCalls } : {}),
      ...(turn.compacted ? { compacted: true } : {}),
    }));
    const usage = {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    let cost = 0;
    for (const turn of state.turns) {
      if (!turn.usage) continue;
      usage.input_tokens += turn.usage.input_tokens;
      usage.output_tokens += turn.usage.output_tokens;
      usage.cache_creation_input_tokens += turn.usage.cache_creation_input_tokens ?? 0;
      usage.cache_read_input_tokens += turn.usage.cache_read_input_tokens ?? 0;
      cost += (turn.model ? estimateCostUsd(prices, turn.model, turn.usage) : 0) ?? 0;
    }
    return {
      conversation_id: conversationId,
      user_id: userId,
      status: description.status.name === 'RUNNING' ? 'active' : 'closed',
      created_at: state.createdAt,
      runs: state.runs,
      ...(state.closedAt ? { closed_at: state.closedAt } : {}),
      usage,
      cost_usd: cost,
      turns,
    };
  }

  return { submitJob, submitMessage, getQueuedTurn, getConversation };
}
