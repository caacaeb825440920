/**
 * Sandbox-safe types and messages of human approval of tool calls: which tools of an agent job
 * wait for a person's decision, what is waiting, and the update that decides.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { AgentJobState } from './agent';

/**
 * Approval settings of one agent job, fixed at submission. Present only in jobs that have at
 * least one tool needing approval: the workflow's approval path (and its events) exists only
 * for them, and inputs recorded before it existed replay unchanged.
 */
export interface ApprovalSettings {
  /** Tools whose calls wait for a decision (the registry's defaults plus the request's). */
  tools: string[];
  /** How long one call waits for a decision (APPROVAL_TIMEOUT_MS). */
  timeoutMs: number;
  /** What a call that nobody decided in time gets (APPROVAL_TIMEOUT_DECISION). */
  timeoutDecision: ApprovalDecisionKind;
}

/** A person's answer to one tool call. */
export type ApprovalDecisionKind = 'approve' | 'deny';

/** A tool call waiting for a decision, as the job's state carries it. */
export interface PendingApproval {
  toolUseId: string;
  tool: string;
  input: unknown;
  /** ISO-8601 time the model asked for the call (workflow time). */
  requestedAt: string;
  /** When the wait ends with the timeout decision. */
  expiresAt: string;
}

/** Argument of the {@link decideApprovalUpdate}. */
export interface ApprovalDecision {
  toolUseId: string;
  decision: ApprovalDecisionKind;
  reason?: string;
  /** Who decided (the caller's user id), kept in the tool call's step. */
  decidedBy?: string;
}

/**
 * Update deciding one waiting tool call; answers with the job's state. Its validator refuses a
 * call that is unknown or already decided, so a refused decision writes nothing to history.
 */
export const decideApprovalUpdate = defineUpdate<AgentJobState, [ApprovalDecision]>(
  'decideApproval',
);

/** Failure type of a decision on a call that is not waiting (the API answers 409). */
export const APPROVAL_NOT_PENDING = 'ApprovalNotPending';
