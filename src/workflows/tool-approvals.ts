import {
  ApplicationFailure,
  condition,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import {
  APPROVAL_NOT_PENDING,
  SEARCH_ATTRIBUTES,
  decideApprovalUpdate,
  type AgentContentBlock,
  type AgentJobState,
  type ApprovalDecision,
  type ApprovalSettings,
  type ToolCallStep,
} from '../shared';

type ToolUseBlock = Extract<AgentContentBlock, { type: 'tool_use' }>;
type StepApproval = NonNullable<ToolCallStep['approval']>;

const awaitingApprovalKey = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.awaitingApproval.name,
  SearchAttributeType.BOOL,
);

/** Human approval of an agent job's tool calls. */
export interface ApprovalGate {
  /**
   * Runs one tool call: at once when its tool needs no approval; otherwise after a person
   * approved it (or the timeout decided "approve"). A denied call does not run: it becomes an
   * error result carrying the reason, so the model can answer without the tool.
   */
  run(use: ToolUseBlock, call: number, runTool: () => Promise<ToolCallStep>): Promise<ToolCallStep>;
}

/**
 * Creates the approval gate of one agent job (only for jobs whose input has `approval`). The
 * wait is a workflow `condition` with a timeout: durable, holding no worker slot, surviving any
 * worker restart. While something waits, the job's status is `awaiting_approval`, its state lists
 * the waiting calls, and the search attribute AgentFleetAwaitingApproval is true (upserted only
 * when waiting starts and ends, so jobs that never wait gain no event). Parallel calls of one
 * step wait and are decided one by one; each approved one runs as soon as it is approved.
 */
export function createApprovalGate(settings: ApprovalSettings, state: AgentJobState): ApprovalGate {
  const decisions = new Map<string, StepApproval>();
  const pending = () => (state.pendingApprovals ??= []);

  /** The call no longer waits; when nothing waits any more, the job runs on. */
  function settle(toolUseId: string): void {
    const list = pending();
    const index = list.findIndex((p) => p.toolUseId === toolUseId);
    if (index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) {
      state.status = 'processing';
      upsertSearchAttributes([{ key: awaitingApprovalKey, value: false }]);
    }
  }

  setHandler(
    decideApprovalUpdate,
    (decision: ApprovalDecision) => {
      decisions.set(decision.toolUseId, {
        decision: decision.decision,
        ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
        ...(decision.decidedBy !== undefined ? { decidedBy: decision.decidedBy } : {}),
        decidedAt: new Date().toISOString(),
      });
      // Settled here, not when the waiting call wakes, so the answer shows the job moving on.
      settle(decision.toolUseId);
      return state;
    },
    {
      // A refused decision is never accepted: nothing is written to the job's history.
      validator: (decision: ApprovalDecision) => {
        const waiting = pending().some((p) => p.toolUseId === decision.toolUseId);
        if (!waiting || decisions.has(decision.toolUseId)) {
          throw ApplicationFailure.create({
            type: APPROVAL_NOT_PENDING,
            message: `Tool call ${decision.toolUseId} is not waiting for a decision`,
            nonRetryable: true,
          });
        }
        if (decision.decision !== 'approve' && decision.decision !== 'deny') {
          throw ApplicationFailure.create({
            type: APPROVAL_NOT_PENDING,
            message: 'decision must be approve or deny',
            nonRetryable: true,
          });
        }
      },
    },
  );

  async function waitForDecision(use: ToolUseBlock): Promise<StepApproval> {
    const requestedAt = new Date();
    const list = pending();
    list.push({
      toolUseId: use.id,
      tool: use.name,
      input: use.input,
      requestedAt: requestedAt.toISOString(),
      expiresAt: new Date(requestedAt.getTime() + settings.timeoutMs).toISOString(),
    });
    state.status = 'awaiting_approval';
    if (list.length === 1) upsertSearchAttributes([{ key: awaitingApprovalKey, value: true }]);
    try {
      const decided = await condition(() => decisions.has(use.id), settings.timeoutMs);
      if (!decided) {
        settle(use.id);
        return {
          decision: settings.timeoutDecision,
          reason: `no decision within ${Math.round(settings.timeoutMs / 1000)} s`,
          decidedAt: new Date().toISOString(),
          timedOut: true,
        };
      }
      return decisions.get(use.id)!;
    } catch (err) {
      // Cancelled while waiting: leave the search attribute false, so the Web UI's filter and
      // GET /approvals find only jobs that really wait.
      if (isCancellation(err)) settle(use.id);
      throw err;
    }
  }

  return {
    async run(use, call, runTool) {
      if (!settings.tools.includes(use.name)) return runTool();
      const approval = await waitForDecision(use);
      if (approval.decision === 'approve') return { ...(await runTool()), approval };
      const at = approval.decidedAt;
      return {
        type: 'tool_call',
        call,
        toolUseId: use.id,
        name: use.name,
        input: use.input,
        output: approval.timedOut
          ? `Error: the tool call was not approved (${approval.reason ?? 'no decision'}); it did not run`
          : `Error: the tool call was denied by a reviewer${approval.reason ? `: ${approval.reason}` : ''}; it did not run`,
        isError: true,
        startedAt: at,
        completedAt: at,
        durationMs: 0,
        approval,
      };
    },
  };
}
