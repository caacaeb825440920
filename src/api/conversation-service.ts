import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { ToolRegistry } from '../activities/tools/registry';
import type { AppConfig } from '../config';
import { estimateCostUsd } from '../observability/price-table';
import {
  FailureType,
  CONVERSATION_WORKFLOW_TYPE,
  conversationWorkflowId,
  getConversationQuery,
  parseConversationJobId,
  submitMessageUpdate,
  toTemporalPriority,
  type ApprovalSettings,
  type ConversationMemo,
  type ConversationSettings,
  type ConversationState,
  type ConversationTurn,
  type PriorityLevel,
  type SubmitMessage,
  type SubmitMessageResult,
  type WebhookSettings,
} from '../shared';
import type { conversationWorkflow } from '../workflows';
import type { ConversationView } from './agent-schemas';
import { HttpError } from './http-error';
import { toolSettings } from './job-inputs';
import { callWithin, capDeadline, type Deadline } from './request-deadline';
import type { JobView } from './schemas';
import { fairnessFor, userIdSearchAttribute } from './temporal-calls';

/** One message for a conversation, as the submission path hands it over. */
export interface TurnDelivery {
  jobId: string;
  userId: string;
  conversationId: string;
  message: string;
  priority: PriorityLevel;
  tools: boolean;
  /** The turn's `max_cost_usd`, if any. */
  maxCostUsd?: number;
  submittedAt: string;
  requestHash: string;
  /** Tools of this turn that wait for a human decision (absent: none). */
  approval?: ApprovalSettings;
  /** The turn's completion webhook (absent: none). */
  webhook?: WebhookSettings;
  /** Double-texting policy (absent: enqueue). */
  onBusy?: SubmitMessage['onBusy'];
}

/** The Temporal side of conversations. */
export interface ConversationService {
  /**
   * Delivers a message with Update-with-Start (`USE_EXISTING`), whose update id is the job id:
   * a retried POST is deduplicated by the conversation itself. `start` wraps the one call that
   * may start a workflow (admission's start limit).
   */
  deliver(
    turn: TurnDelivery,
    deadline: Deadline,
    start: <T>(call: () => Promise<T>) => Promise<T>,
  ): Promise<SubmitMessageResult>;
  /** A conversation turn whose job has not started yet (queued behind earlier turns). */
  getQueuedTurn(jobId: string, deadline: Deadline): Promise<JobView | undefined>;
  getConversation(
    userId: string,
    conversationId: string,
    deadline: Deadline,
  ): Promise<ConversationView | undefined>;
}

/** Dependencies of {@link createConversationService}. */
export interface ConversationServiceDeps {
  client: Client;
  config: AppConfig;
  registry: ToolRegistry;
}

/** Creates the conversation service; conversations are addressed by `conv~<user>~<conversation>`. */
export function createConversationService(deps: ConversationServiceDeps): ConversationService {
  const { client, config } = deps;
  const prices = config.observability.prices;

  function settings(): ConversationSettings {
    const c = config.agent.conversation;
    return {
      model: config.claude.model,
      policy: config.claude.policy,
      tools: toolSettings(config, deps.registry, true),
      promptCaching: config.agent.promptCaching,
      activityTaskQueue: config.taskQueues.activities,
      workflowTaskQueue: config.taskQueues.workflows,
      maxTurnsPerRun: c.maxTurnsPerRun,
      idleTimeoutMs: c.idleTimeoutMs,
      contextTurns: c.contextTurns,
      contextChars: c.contextChars,
      maxQueued: c.maxQueued,
      previewChars: c.previewChars,
      // Each turn's model calls record their usage from the activity (src/usage).
      usageByActivity: true,
      ...(config.transcripts.byReference ? { transcript: { store: 'ref' as const } } : {}),
    };
  }

  async function describeOrUndefined(
    workflowId: string,
    deadline: Deadline,
  ): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await callWithin(client, deadline, () =>
        client.workflow.getHandle(workflowId).describe(),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /** The state a closed conversation ended with, to seed its restart; undefined if none. */
  async function closedState(
    workflowId: string,
    description: WorkflowExecutionDescription,
    deadline: Deadline,
  ): Promise<ConversationState | undefined> {
    if (description.status.name !== 'COMPLETED') return undefined;
    return callWithin(client, deadline, () =>
      client.workflow.getHandle<typeof conversationWorkflow>(workflowId).result(),
    );
  }

  async function deliver(
    turn: TurnDelivery,
    deadline: Deadline,
    start: <T>(call: () => Promise<T>) => Promise<T>,
  ): Promise<SubmitMessageResult> {
    const workflowId = conversationWorkflowId(turn.userId, turn.conversationId);
    // A conversation that closed after idling restarts with its transcript. (If it closes
    // between this read and the update, the restart begins without it: a narrow race, taken
    // over adding I/O to the workflow.)
    const description = await describeOrUndefined(workflowId, deadline);
    const seed =
      description && description.status.name !== 'RUNNING'
        ? await closedState(workflowId, description, deadline).catch(() => undefined)
        : undefined;
    const memo: ConversationMemo = {
      user_id: turn.userId,
      conversation_id: turn.conversationId,
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
          turn.priority,
          fairnessFor(turn.userId, config.scheduling.fairnessWeights),
        ),
        args: [
          {
            userId: turn.userId,
            conversationId: turn.conversationId,
            settings: settings(),
            ...(seed ? { state: seed } : {}),
          },
        ],
        memo: { ...memo },
        typedSearchAttributes: [{ key: userIdSearchAttribute, value: turn.userId }],
      },
    );
    try {
      return await start(() =>
        callWithin(client, deadline, () =>
          client.workflow.executeUpdateWithStart(submitMessageUpdate, {
            args: [
              {
                jobId: turn.jobId,
                message: turn.message,
                submittedAt: turn.submittedAt,
                priority: turn.priority,
                tools: turn.tools,
                ...(turn.maxCostUsd !== undefined ? { maxCostUsd: turn.maxCostUsd } : {}),
                requestHash: turn.requestHash,
                ...(turn.approval ? { approval: turn.approval } : {}),
                ...(turn.webhook ? { webhook: turn.webhook } : {}),
                ...(turn.onBusy ? { onBusy: turn.onBusy } : {}),
              },
            ],
            // Temporal deduplicates updates by id within a run, and the handler across runs.
            updateId: turn.jobId,
            startWorkflowOperation,
          }),
        ),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause;
        if (
          cause instanceof ApplicationFailure &&
          cause.type === FailureType.ConversationQueueFull
        ) {
          throw new HttpError(429, 'conversation_busy', cause.message, undefined, {
            'Retry-After': '5',
          });
        }
        if (cause instanceof ApplicationFailure && cause.type === FailureType.ConversationBusy) {
          const detail = cause.details?.[0] as { runningJobId?: string } | undefined;
          throw new HttpError(
            409,
            'conversation_busy',
            cause.message,
            [{ field: 'on_busy', message: 'reject: a turn of this conversation is still running' }],
            undefined,
            detail?.runningJobId ? { running_job_id: detail.runningJobId } : undefined,
          );
        }
        throw HttpError.validation([
          { field: 'message', message: cause?.message ?? 'refused by the conversation' },
        ]);
      }
      throw err;
    }
  }

  /** The conversation's state: from its query while running, from its result once closed. */
  async function conversationState(
    workflowId: string,
    description: WorkflowExecutionDescription,
    deadline: Deadline,
  ): Promise<ConversationState | undefined> {
    const handle = client.workflow.getHandle<typeof conversationWorkflow>(workflowId);
    if (description.status.name === 'RUNNING') {
      try {
        return await callWithin(
          client,
          capDeadline(deadline, config.http.statusQueryTimeoutMs),
          () => handle.query(getConversationQuery),
        );
      } catch {
        return undefined;
      }
    }
    return closedState(workflowId, description, deadline);
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

  async function getQueuedTurn(jobId: string, deadline: Deadline): Promise<JobView | undefined> {
    const ref = parseConversationJobId(jobId);
    if (!ref) return undefined;
    const description = await describeOrUndefined(ref.workflowId, deadline);
    if (!description || description.type !== CONVERSATION_WORKFLOW_TYPE) return undefined;
    // A queued turn is in the memo: no query (no worker, no trip through matching) for it.
    const memo = description.memo as ConversationMemo | undefined;
    const pending = memo?.pending?.find(([id]) => id === jobId);
    if (pending) {
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
    // Not queued and its job not found: the conversation's state knows what became of it.
    const state = await conversationState(ref.workflowId, description, deadline);
    const turn = state?.turns.find((t) => t.jobId === jobId);
    return state && turn ? turnView(state, turn) : undefined;
  }

  async function getConversation(
    userId: string,
    conversationId: string,
    deadline: Deadline,
  ): Promise<ConversationView | undefined> {
    const workflowId = conversationWorkflowId(userId, conversationId);
    const description = await describeOrUndefined(workflowId, deadline);
    if (!description || description.type !== CONVERSATION_WORKFLOW_TYPE) return undefined;
    const state = await conversationState(workflowId, description, deadline);
    if (!state) {
      throw HttpError.unavailable('No workflow worker answered; try again shortly', 2);
    }
    const turns = state.turns.map((turn) => ({
      ...turnView(state, turn),
      message: turn.message,
      ...(turn.toolCalls !== undefined ? { tool_calls: turn.toolCalls } : {}),
      ...(turn.compacted ? { compacted: true } : {}),
      ...(turn.interruptedBy?.policy === 'interrupt'
        ? { interrupted: true, interrupted_by: turn.interruptedBy.jobId }
        : {}),
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

  return { deliver, getQueuedTurn, getConversation };
}
