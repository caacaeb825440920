import { estimateCostUsd, type PriceTable } from '../observability/price-table';
import type { AgentJobState, AgentStep, ChatJobState, PriorityLevel } from '../shared';
import { toPendingApprovalView, toStepApprovalView } from './approval-view';
import type { JobView } from './schemas';

/** Job facts recorded in the workflow memo at submission, readable without any worker. */
export interface JobMemo {
  user_id: string;
  priority: PriorityLevel;
  submitted_at: string;
  /** Fingerprint of the request body, to detect an Idempotency-Key reused with another body. */
  request_hash?: string;
  /** Set when the job has a completion webhook: GET then reads its delivery's status. */
  webhook?: true;
}

/** The public view of one agent step. */
function toStepView(
  step: AgentStep,
  prices: PriceTable | undefined,
): NonNullable<JobView['steps']>[number] {
  if (step.type === 'model_call') {
    const cost = prices ? estimateCostUsd(prices, step.model, step.usage) : undefined;
    return {
      type: 'model_call',
      call: step.call,
      text: step.text,
      model: step.model,
      stop_reason: step.stopReason,
      usage: step.usage,
      ...(cost !== undefined ? { cost_usd: cost } : {}),
      attempt: step.attempt,
      started_at: step.startedAt,
      completed_at: step.completedAt,
      duration_ms: step.durationMs,
      ...(step.truncated ? { text_chars: step.textChars, truncated: true as const } : {}),
    };
  }
  return {
    type: 'tool_call',
    call: step.call,
    tool_use_id: step.toolUseId,
    name: step.name,
    input: step.input,
    output: step.output,
    is_error: step.isError,
    started_at: step.startedAt,
    completed_at: step.completedAt,
    duration_ms: step.durationMs,
    ...(step.truncated ? { output_chars: step.outputChars, truncated: true as const } : {}),
    ...(step.approval ? { approval: toStepApprovalView(step.approval) } : {}),
  };
}

/**
 * Estimated cost of a job: the sum over its model calls (each priced by its own model), or from
 * the job's usage and model for a plain chat job. Undefined when a model is unpriced.
 */
function jobCost(state: ChatJobState, prices: PriceTable): number | undefined {
  const steps = (state as Partial<AgentJobState>).steps;
  if (steps) {
    let total = 0;
    for (const step of steps) {
      if (step.type !== 'model_call') continue;
      const cost = estimateCostUsd(prices, step.model, step.usage);
      if (cost === undefined) return undefined;
      total += cost;
    }
    return total;
  }
  return state.usage && state.model ? estimateCostUsd(prices, state.model, state.usage) : undefined;
}

/**
 * Converts the workflow's state into the public, snake_case job view. With `prices`, the view
 * carries the estimated cost (computed here, at read time, so workflow code needs no price table).
 */
export function toJobView(state: ChatJobState, prices?: PriceTable): JobView {
  const agent = state as Partial<AgentJobState>;
  const cost = prices ? jobCost(state, prices) : undefined;
  return {
    job_id: state.jobId,
    user_id: state.userId,
    status: state.status,
    ...(state.response !== undefined ? { response: state.response } : {}),
    ...(state.error ? { error: state.error } : {}),
    ...(state.usage ? { usage: state.usage } : {}),
    ...(state.model ? { model: state.model } : {}),
    attempts: state.attempts,
    priority: state.priority,
    submitted_at: state.submittedAt,
    ...(state.startedAt ? { started_at: state.startedAt } : {}),
    ...(state.completedAt ? { completed_at: state.completedAt } : {}),
    ...(state.truncated ? { truncated: true } : {}),
    ...(state.fallback ? { model_fallback: true } : {}),
    ...(agent.kind === 'agent' && state.stopReason !== undefined
      ? { stop_reason: state.stopReason }
      : {}),
    ...(cost !== undefined ? { cost_usd: cost } : {}),
    ...(agent.conversationId !== undefined ? { conversation_id: agent.conversationId } : {}),
    ...(agent.turn !== undefined ? { turn: agent.turn } : {}),
    ...(agent.steps ? { steps: agent.steps.map((step) => toStepView(step, prices)) } : {}),
    ...(agent.pendingApprovals?.length
      ? { pending_approvals: agent.pendingApprovals.map(toPendingApprovalView) }
      : {}),
  };
}

/** A minimal state from the memo, for when the workflow itself cannot be asked. */
export function stateFromMemo(jobId: string, memo: JobMemo): ChatJobState {
  return {
    jobId,
    userId: memo.user_id,
    status: 'queued',
    priority: memo.priority,
    submittedAt: memo.submitted_at,
    attempts: 0,
  };
}
