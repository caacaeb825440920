import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  getJobStatusQuery,
  type AgentContentBlock,
  type AgentJobInput,
  type AgentJobState,
  type AgentMessage,
  type ModelUsageTotals,
  type ToolCallStep,
} from '../shared';
import { startCompletionWebhook } from './completion-webhook';
import { claudeCallOptions, toolCallOptions } from './activity-options';
import { attemptsFromFailure, describeFailure } from './chat-workflow';
import { boundLastModelStep, transcriptRef } from './transcript-ref';
import { createApprovalGate } from './tool-approvals';
import { costCapField, stopAtCostCap } from './cost-cap-stop';
import { addUsage, reportUsage } from './usage-reporting';

type Activities = ReturnType<typeof createActivities>;
type ToolUseBlock = Extract<AgentContentBlock, { type: 'tool_use' }>;

/**
 * One agent job: the tool loop. Claude answers; when it asks for tools, each tool call runs as
 * its own activity (own timeout and retries) and the results go back to Claude, until it ends its
 * turn or the step limit is reached (the last allowed call is made with `tool_choice: none`, so
 * the job always ends with an answer). A conversation runs each turn as one of these, as a child
 * workflow whose id is the turn's job id.
 *
 * Its state has the chat job's shape (plus `steps`), so `GET /chat/:job_id`, cancellation and
 * the finished-job cache work for it unchanged. A new workflow type rather than a change to
 * `chatWorkflow`: the chat workflow's commands (and every running chat job) stay exactly as
 * they were, with no patch branch to carry.
 */
export async function agentWorkflow(input: AgentJobInput): Promise<AgentJobState> {
  const state: AgentJobState = {
    kind: 'agent',
    jobId: input.jobId,
    userId: input.userId,
    status: 'queued',
    priority: input.priority,
    submittedAt: input.submittedAt,
    attempts: 0,
    toolsEnabled: input.tools.enabled,
    steps: [],
    ...(input.conversation
      ? { conversationId: input.conversation.conversationId, turn: input.conversation.turn }
      : {}),
  };
  setHandler(getJobStatusQuery, () => state);
  // Only jobs with tools needing approval have a gate (old inputs have none and replay as is).
  const approvals = input.approval ? createApprovalGate(input.approval, state) : undefined;
  const byModel: Record<string, ModelUsageTotals> = {};
  /**
   * The job's tokens to the user's ledger, counted on the day it finished — for jobs submitted
   * before each model call recorded its own usage (`usageByActivity`): their histories replay
   * this step; newer jobs add no event for accounting.
   */
  const report = async () => {
    if (input.usageByActivity) return;
    await reportUsage(input.userId, input.workflowTaskQueue, {
      jobId: input.jobId,
      byModel,
      ...(state.completedAt ? { at: state.completedAt } : {}),
    });
  };

  const { callClaudeAgent } = proxyActivities<Activities>(
    claudeCallOptions(input.policy, input.activityTaskQueue, input.priority, true),
  );
  const messages: AgentMessage[] = [...input.history, { role: 'user', content: input.message }];
  // By reference, calls carry only what they append: the store holds the transcript.
  const ref = transcriptRef(input, messages);
  let spentUsd = 0;

  try {
    for (let call = 0; ; call++) {
      const lastStep = call + 1 >= input.tools.maxSteps;
      const result = await callClaudeAgent({
        jobId: input.jobId,
        userId: input.userId,
        call,
        ...(ref ? { transcript: ref.next() } : { messages }),
        model: input.model,
        tools: input.tools.enabled,
        toolChoice: lastStep ? 'none' : 'auto',
        promptCaching: input.promptCaching,
        ...(input.usageByActivity ? { recordUsage: true } : {}),
        ...costCapField(input, spentUsd),
      });
      if (result.costCapReached) {
        stopAtCostCap(state, result);
        break;
      }
      spentUsd += result.costUsd ?? 0;
      const text = result.content
        .filter((b): b is Extract<AgentContentBlock, { type: 'text' }> => b.type === 'text')
        .map((b) => b.text)
        .join('');
      const toolUses = result.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
      state.status = 'processing';
      state.startedAt ??= result.startedAt;
      state.attempts += result.attempt;
      state.model = result.model;
      addUsage(byModel, result.model, result.usage);
      state.usage = sumUsage(byModel);
      state.steps.push({
        type: 'model_call',
        call,
        text,
        model: result.model,
        stopReason: result.stopReason,
        usage: result.usage,
        attempt: result.attempt,
        startedAt: result.startedAt,
        completedAt: result.finishedAt,
        durationMs: Date.parse(result.finishedAt) - Date.parse(result.startedAt),
        toolUses: toolUses.length,
      });
      if (ref) boundLastModelStep(state.steps);
      if (result.truncated) state.truncated = true;
      if (result.stopReason !== 'tool_use' || toolUses.length === 0 || lastStep) {
        state.response = text;
        state.stopReason = toolUses.length > 0 ? 'max_steps' : result.stopReason;
        state.completedAt = result.finishedAt;
        break;
      }
      if (!ref) messages.push({ role: 'assistant', content: result.content });
      // Independent tool calls run in parallel; results go back in the model's order.
      const steps = await Promise.all(
        toolUses.map((use) =>
          approvals
            ? approvals.run(use, call, () => runToolCall(input, call, use))
            : runToolCall(input, call, use),
        ),
      );
      state.steps.push(...steps);
      if (ref) ref.answered(result.content, steps);
      else
        messages.push({
          role: 'user',
          content: steps.map((step) => ({
            type: 'tool_result' as const,
            tool_use_id: step.toolUseId,
            content: step.output,
            ...(step.isError ? { is_error: true } : {}),
          })),
        });
    }
    state.status = 'completed';
    await report();
    return state;
  } catch (err) {
    state.completedAt = new Date().toISOString();
    await report();
    if (isCancellation(err)) {
      state.status = 'cancelled';
      throw err;
    }
    state.status = 'failed';
    state.error = describeFailure(err);
    const attempts = attemptsFromFailure(err);
    if (attempts !== undefined) state.attempts += attempts;
    throw ApplicationFailure.create({
      type: state.error.type,
      message: state.error.message,
      nonRetryable: true,
      details: [state],
    });
  } finally {
    // Jobs submitted with a callback_url announce their final state (completion-webhook.ts).
    await startCompletionWebhook(input.webhook, state);
  }
}

/**
 * One tool call as its own activity. A tool that keeps failing after its retries is reported to
 * the model as an error result: the model can apologise or try another way, the job goes on.
 */
async function runToolCall(
  input: AgentJobInput,
  call: number,
  use: ToolUseBlock,
): Promise<ToolCallStep> {
  const policy = input.tools.policies[use.name] ?? input.tools.defaultPolicy;
  const { runTool } = proxyActivities<Activities>(
    toolCallOptions(policy, input.tools.taskQueue ?? input.activityTaskQueue, input.priority),
  );
  const startedAt = new Date().toISOString();
  const base = {
    type: 'tool_call' as const,
    call,
    toolUseId: use.id,
    name: use.name,
    input: use.input,
  };
  try {
    const result = await runTool({
      jobId: input.jobId,
      toolUseId: use.id,
      name: use.name,
      input: use.input,
      ...(input.transcript ? { store: true } : {}),
    });
    return {
      ...base,
      output: result.output,
      isError: result.isError,
      ...(result.truncated ? { outputChars: result.outputChars, truncated: true as const } : {}),
      startedAt: result.startedAt,
      completedAt: result.finishedAt,
      durationMs: result.durationMs,
    };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const completedAt = new Date().toISOString();
    return {
      ...base,
      output: `Error: the tool failed (${cause instanceof Error ? cause.message : 'unknown error'})`,
      isError: true,
      startedAt,
      completedAt,
      durationMs: Date.parse(completedAt) - Date.parse(startedAt),
    };
  }
}

function sumUsage(byModel: Record<string, ModelUsageTotals>): AgentJobState['usage'] {
  const total = {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  for (const usage of Object.values(byModel)) {
    total.input_tokens += usage.input_tokens;
    total.output_tokens += usage.output_tokens;
    total.cache_creation_input_tokens += usage.cache_creation_input_tokens;
    total.cache_read_input_tokens += usage.cache_read_input_tokens;
  }
  return total;
}
