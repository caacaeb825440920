import {
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import {
  FailureType,
  SEARCH_ATTRIBUTES,
  getConversationQuery,
  submitMessageUpdate,
  toTemporalPriorityKey,
  type AgentJobState,
  type AgentMessage,
  type ConversationInput,
  type ConversationMemo,
  type ConversationState,
  type ConversationTurn,
  type SubmitMessage,
} from '../shared';
import { agentWorkflow } from './agent-workflow';
import {
  interruptIfAsked,
  rejectIfBusy,
  runInterruptible,
  settleInterruption,
  type RunningTurn,
} from './double-texting';

/** Failure type of a message refused because the conversation's queue is full. */
export const CONVERSATION_QUEUE_FULL = FailureType.ConversationQueueFull;

const userIdKey = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.userId.name,
  SearchAttributeType.KEYWORD,
);
const priorityKey = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.priority.name,
  SearchAttributeType.INT,
);

/**
 * One conversation: a long-lived workflow (id `conv~<user>~<conversation>`) that receives each
 * message through the `submitMessage` update (sent with Update-with-Start, so the first message
 * starts it) and answers them strictly one at a time, in the order they were accepted. Each turn
 * runs as an `agentWorkflow` child whose workflow id is the turn's job id, so `GET /chat/:job_id`
 * reads it like any job, without a worker for finished turns and without replaying anything.
 *
 * History stays bounded: a turn costs this workflow a handful of events (the tool loop's events
 * live in the child), old turns are compacted to previews (their full text stays in their job),
 * and the workflow continues-as-new when Temporal suggests it or after `maxTurnsPerRun`, carrying
 * the transcript and any queued messages. After `idleTimeoutMs` without messages it closes,
 * returning its state; the API seeds a restarted conversation with it.
 */
export async function conversationWorkflow(input: ConversationInput): Promise<ConversationState> {
  const { settings } = input;
  const state: ConversationState = input.state
    ? { ...input.state, runs: input.state.runs + 1 }
    : {
        userId: input.userId,
        conversationId: input.conversationId,
        createdAt: new Date().toISOString(),
        turns: [],
        runs: 1,
      };
  delete state.closedAt;
  const queued = () => state.turns.filter((t) => t.status === 'queued');

  let memoPending = '';
  /** Queued turns in the memo: `GET /chat/:job_id` answers for them with no worker running. */
  const publishMemo = () => {
    const pending: ConversationMemo['pending'] = queued().map((t) => [
      t.jobId,
      t.turn,
      t.submittedAt,
      t.priority,
    ]);
    const text = JSON.stringify(pending);
    if (text === memoPending) return;
    memoPending = text;
    upsertMemo({ pending });
  };

  /** The turn running now, which a message sent with `on_busy` interrupt/rollback stops. */
  const running: RunningTurn = {};
  setHandler(getConversationQuery, () => state);
  setHandler(
    submitMessageUpdate,
    (message: SubmitMessage) => {
      const existing = state.turns.find((t) => t.jobId === message.jobId);
      if (existing) {
        return {
          jobId: existing.jobId,
          turn: existing.turn,
          submittedAt: existing.submittedAt,
          duplicate: true,
          ...(existing.requestHash !== undefined ? { requestHash: existing.requestHash } : {}),
        };
      }
      const turn: ConversationTurn = {
        turn: (state.turns[state.turns.length - 1]?.turn ?? 0) + 1,
        jobId: message.jobId,
        message: message.message,
        status: 'queued',
        priority: message.priority,
        tools: message.tools,
        submittedAt: message.submittedAt,
        // Plain data in the state: no command, so histories recorded without it replay alike.
        ...(message.requestHash !== undefined ? { requestHash: message.requestHash } : {}),
        ...(message.approval ? { approval: message.approval } : {}),
        ...(message.maxCostUsd !== undefined ? { maxCostUsd: message.maxCostUsd } : {}),
        ...(message.webhook ? { webhook: message.webhook } : {}),
      };
      state.turns.push(turn);
      publishMemo();
      interruptIfAsked(message, running);
      return {
        jobId: turn.jobId,
        turn: turn.turn,
        submittedAt: turn.submittedAt,
        duplicate: false,
        ...(turn.requestHash !== undefined ? { requestHash: turn.requestHash } : {}),
      };
    },
    {
      // A rejected update writes nothing to history: refuse here, not in the handler.
      validator: (message: SubmitMessage) => {
        if (message.message.trim() === '') throw new Error('message must not be empty');
        const known = state.turns.some((t) => t.jobId === message.jobId);
        if (!known) rejectIfBusy(message, state);
        if (!known && queued().length >= settings.maxQueued) {
          throw ApplicationFailure.create({
            type: CONVERSATION_QUEUE_FULL,
            message: `The conversation already has ${settings.maxQueued} messages waiting`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  let turnsThisRun = 0;
  for (;;) {
    if (queued().length === 0) {
      const woke = await condition(() => queued().length > 0, settings.idleTimeoutMs);
      if (!woke && queued().length === 0) break;
    }
    const turn = queued()[0] as ConversationTurn;
    await runTurn(input, state, turn, publishMemo, running);
    settleInterruption(state, turn);
    turnsThisRun += 1;
    compact(state, settings.contextTurns, settings.contextChars, settings.previewChars);
    if (turnsThisRun >= settings.maxTurnsPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof conversationWorkflow>({
        userId: input.userId,
        conversationId: input.conversationId,
        settings,
        state,
      });
    }
  }
  await condition(allHandlersFinished);
  state.closedAt = new Date().toISOString();
  return state;
}

/** Runs one turn as a child agent job and records its outcome in the transcript. */
async function runTurn(
  input: ConversationInput,
  state: ConversationState,
  turn: ConversationTurn,
  publishMemo: () => void,
  running: RunningTurn,
): Promise<void> {
  const { settings } = input;
  turn.status = 'processing';
  turn.startedAt = new Date().toISOString();
  publishMemo();
  try {
    const result: AgentJobState = await runInterruptible(running, turn, () =>
      executeChild(agentWorkflow, {
        workflowId: turn.jobId,
        taskQueue: settings.workflowTaskQueue,
        args: [
          {
            jobId: turn.jobId,
            userId: input.userId,
            message: turn.message,
            history: transcript(state, turn, settings.contextTurns, settings.contextChars),
            priority: turn.priority,
            submittedAt: turn.submittedAt,
            model: settings.model,
            policy: settings.policy,
            tools: { ...settings.tools, enabled: turn.tools },
            promptCaching: settings.promptCaching,
            activityTaskQueue: settings.activityTaskQueue,
            workflowTaskQueue: settings.workflowTaskQueue,
            // Conversations started before keep their turns' old reporting path.
            ...(settings.usageByActivity ? { usageByActivity: true } : {}),
            ...(settings.transcript ? { transcript: settings.transcript } : {}),
            // Turns with tools needing approval only: other turns' inputs are as before.
            ...(turn.approval ? { approval: turn.approval } : {}),
            ...(turn.maxCostUsd !== undefined ? { maxCostUsd: turn.maxCostUsd } : {}),
            ...(turn.webhook ? { webhook: turn.webhook } : {}),
            conversation: {
              conversationId: input.conversationId,
              workflowId: workflowInfo().workflowId,
              turn: turn.turn,
            },
          },
        ],
        // The same memo and search attributes as a job started by the API: GET reads them.
        memo: {
          user_id: input.userId,
          priority: turn.priority,
          submitted_at: turn.submittedAt,
          conversation_id: input.conversationId,
          ...(turn.webhook ? { webhook: true } : {}),
        },
        typedSearchAttributes: [
          { key: userIdKey, value: input.userId },
          { key: priorityKey, value: turn.priority },
        ],
        priority: { priorityKey: toTemporalPriorityKey(turn.priority) },
      }),
    );
    turn.status = 'completed';
    turn.response = result.response ?? '';
    if (result.usage) turn.usage = result.usage;
    if (result.model) turn.model = result.model;
    turn.toolCalls = result.steps.filter((s) => s.type === 'tool_call').length;
    turn.completedAt = result.completedAt ?? new Date().toISOString();
  } catch (err) {
    if (turn.interruptedBy) {
      // Stopped by a newer message's on_busy (double-texting.ts).
      turn.status = 'cancelled';
    } else if (!(err instanceof ChildWorkflowFailure)) {
      // The conversation itself is being cancelled: stop here.
      if (isCancellation(err)) throw err;
      turn.status = 'failed';
      turn.error = { type: FailureType.ClaudeUnknown, message: String(err) };
    } else if (err.cause instanceof CancelledFailure) {
      turn.status = 'cancelled';
    } else {
      const detail =
        err.cause instanceof ApplicationFailure
          ? (err.cause.details?.[0] as AgentJobState | undefined)
          : undefined;
      turn.status = 'failed';
      turn.error = detail?.error ?? {
        type:
          err.cause instanceof ApplicationFailure ? (err.cause.type ?? 'Unknown') : 'JobTerminated',
        message: err.cause?.message ?? err.message,
      };
      if (detail?.usage) turn.usage = detail.usage;
    }
    turn.completedAt = new Date().toISOString();
  }
  publishMemo();
}

/**
 * Earlier turns sent to the model: the most recent completed turns, newest last, within both the
 * turn and the character budget, as alternating user/assistant messages. Failed and cancelled
 * turns are left out (they have no answer, and the API needs strict alternation).
 */
function transcript(
  state: ConversationState,
  current: ConversationTurn,
  maxTurns: number,
  maxChars: number,
): AgentMessage[] {
  const picked: ConversationTurn[] = [];
  let chars = 0;
  for (let i = state.turns.length - 1; i >= 0 && picked.length < maxTurns; i--) {
    const t = state.turns[i] as ConversationTurn;
    // An interrupted turn stays in the context: the user did say it.
    const answered = t.status === 'completed' || t.interruptedBy !== undefined;
    if (t.turn >= current.turn || !answered || t.compacted) continue;
    chars += t.message.length + (t.response ?? '').length;
    if (chars > maxChars) break;
    picked.unshift(t);
  }
  return picked.flatMap((t): AgentMessage[] => [
    { role: 'user', content: t.message },
    {
      role: 'assistant',
      content: t.response === undefined || t.response === '' ? '(no answer)' : t.response,
    },
  ]);
}

/**
 * Cuts finished turns outside the model's context window to previews, so the state carried
 * through continue-as-new stays far below Temporal's payload limit however long the conversation
 * gets. Every turn stays listed (with its job id, status and usage); its full text is in its job.
 */
function compact(
  state: ConversationState,
  keepTurns: number,
  keepChars: number,
  previewChars: number,
): void {
  let kept = 0;
  let chars = 0;
  for (let i = state.turns.length - 1; i >= 0; i--) {
    const t = state.turns[i] as ConversationTurn;
    if (t.status === 'queued' || t.status === 'processing' || t.compacted) continue;
    kept += 1;
    chars += t.message.length + (t.response ?? '').length;
    if (kept <= keepTurns && chars <= keepChars) continue;
    const cut = (text: string) =>
      text.length > previewChars ? `${text.slice(0, previewChars)}…` : text;
    t.message = cut(t.message);
    if (t.response !== undefined) t.response = cut(t.response);
    t.compacted = true;
  }
}
