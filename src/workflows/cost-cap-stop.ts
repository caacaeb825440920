import { ApplicationFailure } from '@temporalio/workflow';
import {
  COST_CAP_STOP_REASON,
  FailureType,
  type AgentJobInput,
  type AgentJobState,
  type ClaudeAgentCallResult,
  type CostCapInput,
} from '../shared';

/** The cap field of a model call's input: only for jobs with `maxCostUsd` (old inputs: none). */
export function costCapField(input: AgentJobInput, spentUsd: number): { costCap?: CostCapInput } {
  return input.maxCostUsd === undefined ? {} : { costCap: { maxUsd: input.maxCostUsd, spentUsd } };
}

/**
 * Ends an agent job whose next model call the activity refused for its cost cap: completed with
 * `stop_reason: "cost_cap"` and the text the model wrote so far, or — when it wrote none, so
 * there is no answer to give — failed with `CostCapExceeded`.
 */
export function stopAtCostCap(state: AgentJobState, result: ClaudeAgentCallResult): void {
  const text = state.steps
    .flatMap((step) => (step.type === 'model_call' && step.text !== '' ? [step.text] : []))
    .join('\n\n');
  if (text === '') {
    throw ApplicationFailure.create({
      type: FailureType.CostCapExceeded,
      message: `The job's first model call could cost more than its max_cost_usd`,
      nonRetryable: true,
    });
  }
  state.response = text;
  state.stopReason = COST_CAP_STOP_REASON;
  state.completedAt = result.finishedAt;
}
