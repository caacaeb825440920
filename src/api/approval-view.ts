import type { PendingApproval, ToolCallStep } from '../shared';
import type { JobView } from './schemas';

type PendingApprovalView = NonNullable<JobView['pending_approvals']>[number];

/** The public, snake_case view of a tool call waiting for a decision. */
export function toPendingApprovalView(pending: PendingApproval): PendingApprovalView {
  return {
    tool_use_id: pending.toolUseId,
    tool: pending.tool,
    input: pending.input,
    requested_at: pending.requestedAt,
    expires_at: pending.expiresAt,
  };
}

/** The public view of the decision a tool call waited for. */
export function toStepApprovalView(approval: NonNullable<ToolCallStep['approval']>) {
  return {
    decision: approval.decision,
    ...(approval.reason !== undefined ? { reason: approval.reason } : {}),
    ...(approval.decidedBy !== undefined ? { decided_by: approval.decidedBy } : {}),
    decided_at: approval.decidedAt,
    ...(approval.timedOut ? { timed_out: true } : {}),
  };
}
