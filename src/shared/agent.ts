/**
 * Sandbox-safe types of agent jobs (the tool loop), conversations and per-user usage.
 *
 * An agent job is one `agentWorkflow`: model call → tool calls (each its own activity) →
 * model call … until `end_turn` or the step limit. A conversation is one long-lived
 * `conversationWorkflow` that runs each message as an agent job (a child workflow whose id is the
 * job id) strictly one after another.
 */
import type {
  ChatJobState,
  ClaudeCallPolicy,
  JobStatus,
  ModelSettings,
  PriorityLevel,
} from './job';
import type { ClaudeCallResult, TokenUsage } from './job';
import type { TranscriptMode } from './transcript';
import type { ApprovalDecisionKind, ApprovalSettings, PendingApproval } from './approvals';
import type { WebhookSettings } from './webhook';

/** Workflow type of an agent job (a chat job that may call tools). */
export const AGENT_WORKFLOW_TYPE = 'agentWorkflow';
/** Workflow type of a conversation. */
export const CONVERSATION_WORKFLOW_TYPE = 'conversationWorkflow';
/** Workflow type of a user's durable usage ledger. */
export const USAGE_WORKFLOW_TYPE = 'usageWorkflow';

/**
 * `conversation_id` charset. `~` separates the parts of conversation and job ids, so it is
 * excluded here and in user ids: ids built from the parts can never be ambiguous.
 */
export const CONVERSATION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const USER_PART = '[A-Za-z0-9._@:+-]{1,128}';
const CONVERSATION_PART = '[A-Za-z0-9_-]{1,64}';
const UUID_PART = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** Job id of a conversation turn: `conv~<user>~<conversation>~<uuid>`. */
export const CONVERSATION_JOB_ID_PATTERN = new RegExp(
  `^conv~(${USER_PART})~(${CONVERSATION_PART})~(${UUID_PART})$`,
);

/**
 * Workflow id of a conversation. The user id is part of it, so a user can only ever address
 * their own conversations: two users choosing the same `conversation_id` get two workflows.
 */
export function conversationWorkflowId(userId: string, conversationId: string): string {
  return `conv~${userId}~${conversationId}`;
}

/**
 * Job id of one conversation turn. It embeds the conversation's workflow id so a queued turn
 * (whose child workflow does not exist yet) can still be found; the uuid keeps ids unique even
 * if a conversation is restarted after idling out.
 */
export function conversationJobId(workflowId: string, uuid: string): string {
  return `${workflowId}~${uuid}`;
}

/** The conversation a turn's job id belongs to, or undefined for other job ids. */
export function parseConversationJobId(
  jobId: string,
): { userId: string; conversationId: string; workflowId: string } | undefined {
  const match = CONVERSATION_JOB_ID_PATTERN.exec(jobId);
  if (!match?.[1] || !match[2]) return undefined;
  return {
    userId: match[1],
    conversationId: match[2],
    workflowId: conversationWorkflowId(match[1], match[2]),
  };
}

/** Workflow id of a user's usage ledger. */
export function usageWorkflowId(userId: string): string {
  return `usage~${userId}`;
}

/** A content block of a message, in the Messages API's shape. */
export type AgentContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };

/** One message sent to the model. */
export interface AgentMessage {
  role: 'user' | 'assistant';
  content: string | AgentContentBlock[];
}

/** Timeout and retries of one tool's activity. */
export interface ToolPolicy {
  /** Bound on one attempt (start-to-close). */
  timeoutMs: number;
  /** Attempts including the first. */
  maxAttempts: number;
}

/** Tool settings of an agent job, fixed at submission (workflow code reads no configuration). */
export interface AgentToolSettings {
  /** Send the registry's tools to the model. */
  enabled: boolean;
  /** Maximum model calls in one job; the last one is made with tools disabled. */
  maxSteps: number;
  /** Per-tool policy (from the registry); tools not listed use `defaultPolicy`. */
  policies: Record<string, ToolPolicy>;
  defaultPolicy: ToolPolicy;
  /**
   * Task queue of the tool workers, so tool calls neither wait behind model calls for slots nor
   * count against the model queue's rate limit. Absent in jobs submitted before tools had their
   * own queue: those keep scheduling tools on `activityTaskQueue`.
   */
  taskQueue?: string;
}

/** Identity of a conversation turn. */
export interface ConversationTurnRef {
  conversationId: string;
  workflowId: string;
  /** 1-based turn number within the conversation. */
  turn: number;
}

/** Input of one agent job; its only input (it reads no environment). */
export interface AgentJobInput {
  jobId: string;
  userId: string;
  /** The new user message. */
  message: string;
  /** Earlier turns as alternating user/assistant text messages (conversations only). */
  history: AgentMessage[];
  priority: PriorityLevel;
  submittedAt: string;
  model: ModelSettings;
  policy: ClaudeCallPolicy;
  tools: AgentToolSettings;
  /** Mark the system prompt and transcript prefix with `cache_control`. */
  promptCaching: boolean;
  activityTaskQueue: string;
  /** Task queue of the workflow workers (the usage ledger is started there). */
  workflowTaskQueue: string;
  conversation?: ConversationTurnRef;
  /**
   * Each model call records its own usage from the activity (src/usage), so the job's history
   * gains no event for accounting. Absent in jobs submitted before: those report their usage to
   * the ledger workflow from workflow code, exactly as recorded.
   */
  usageByActivity?: boolean;
  /**
   * The transcript lives in the transcript store, by reference (src/workflows/transcript-ref.ts):
   * model calls load it there and tool outputs are written there, so the history holds previews.
   * Absent in jobs submitted before (and with TRANSCRIPT_BY_REFERENCE=false): messages inline.
   */
  transcript?: TranscriptMode;
  /** Tools that wait for a human decision (absent: none do, and no approval code runs). */
  approval?: ApprovalSettings;
  /**
   * `max_cost_usd`: stop before a model call whose worst case would take the job's cost past
   * it (src/activities/cost-cap.ts). Absent: no cap, and no change to the job's history.
   */
  maxCostUsd?: number;
  /** Completion webhook (absent: none; see {@link ChatJobInput}). */
  webhook?: WebhookSettings;
}

/** A model call of an agent job, as shown in `GET /chat/:job_id`. */
export interface ModelCallStep {
  type: 'model_call';
  /** 0-based index among the job's model calls (the SSE stream numbers text by it). */
  call: number;
  text: string;
  model: string;
  stopReason: string | null;
  usage: TokenUsage;
  attempt: number;
  startedAt: string;
  completedAt: string;
  durationMs: number;
  /** Tool calls the model asked for in this step. */
  toolUses: number;
  /** Length of the step's full text when `text` is a preview (transcript by reference). */
  textChars?: number;
  /** `text` is a preview of a longer text (its full text is in the transcript store). */
  truncated?: true;
}

/** A tool call of an agent job. */
export interface ToolCallStep {
  type: 'tool_call';
  /** Model call that asked for it. */
  call: number;
  toolUseId: string;
  name: string;
  input: unknown;
  output: string;
  isError: boolean;
  startedAt: string;
  completedAt: string;
  durationMs: number;
  /** Length of the full output when `output` is a preview (transcript by reference). */
  outputChars?: number;
  /** `output` is a preview; the model received the full output from the transcript store. */
  truncated?: true;
  /** The human decision this call waited for (jobs with approvals only). */
  approval?: {
    decision: ApprovalDecisionKind;
    reason?: string;
    decidedBy?: string;
    decidedAt: string;
    /** Nobody decided within the timeout: `decision` is the configured timeout decision. */
    timedOut?: boolean;
  };
}

/** One step of an agent job. */
export type AgentStep = ModelCallStep | ToolCallStep;

/** State of an agent job: a chat job's state plus its steps. */
export interface AgentJobState extends ChatJobState {
  kind: 'agent';
  toolsEnabled: boolean;
  steps: AgentStep[];
  conversationId?: string;
  turn?: number;
  /** Tool calls waiting for a human decision (jobs with approvals only). */
  pendingApprovals?: PendingApproval[];
}

/** What `callClaudeAgent` returns: one model call of the tool loop (content blocks, not text). */
export interface ClaudeAgentCallResult extends Omit<ClaudeCallResult, 'text' | 'fallback'> {
  content: AgentContentBlock[];
  /** The call's cost in US dollars (only when the job has a cost cap; absent if unpriced). */
  costUsd?: number;
  /** The call was not made: its worst case would take the job past its cost cap. */
  costCapReached?: boolean;
}

/** What `runTool` returns. A tool that fails in a way the model should hear about is not an error. */
export interface ToolRunResult {
  output: string;
  isError: boolean;
  /** Length of the full output when `output` is a preview (stored by reference). */
  outputChars?: number;
  truncated?: true;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** Tokens of one model, summed. */
export interface ModelUsageTotals {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** Per-model totals with nothing counted yet. */
export function emptyModelTotals(): ModelUsageTotals {
  return {
    calls: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

/** Adds `add` to `into`, field by field. */
export function addModelTotals(into: ModelUsageTotals, add: ModelUsageTotals): void {
  into.calls += add.calls;
  into.input_tokens += add.input_tokens;
  into.output_tokens += add.output_tokens;
  into.cache_creation_input_tokens += add.cache_creation_input_tokens;
  into.cache_read_input_tokens += add.cache_read_input_tokens;
}

/** Usage of one finished job, sent to the user's ledger. */
export interface UsageRecord {
  jobId: string;
  byModel: Record<string, ModelUsageTotals>;
  /** ISO-8601 time the job finished: the UTC day it is counted on (absent in older records). */
  at?: string;
}

/**
 * One successful model call's usage, recorded by the model-call activity itself (jobs submitted
 * with `usageByActivity`). Its key is (jobId, call): a retried activity records the same key
 * again and every store counts it once.
 */
export interface UsageCallRecord {
  jobId: string;
  /** The job's model call: 0 for a plain chat job, the agent step's call index otherwise. */
  call: number;
  userId: string;
  model: string;
  usage: TokenUsage;
  /** ISO-8601 time the call finished: its UTC day is the day it is counted on. */
  at: string;
}

/** The de-duplication key of a call record: one count per (job, call). */
export function usageCallKey(record: Pick<UsageCallRecord, 'jobId' | 'call'>): string {
  return `${record.jobId}:${record.call}`;
}

/** One UTC day of a user's usage, for the daily token budget. */
export interface DailyUsage {
  jobs: number;
  /** Tokens counted against the budget: input + cache writes + output (cache reads are not). */
  tokens: number;
}

/** Days of usage the ledger keeps (today, and a week back for operators). */
export const USAGE_DAYS_KEPT = 8;

/** Tokens of a model's totals that count against the daily budget. */
export function budgetTokens(usage: Omit<ModelUsageTotals, 'calls'>): number {
  // Cache reads cost a tenth of input and, like Anthropic's own input-rate limits, do not count:
  // a budget must never punish the caching that makes long conversations cheap.
  return usage.input_tokens + usage.cache_creation_input_tokens + usage.output_tokens;
}

/** A user's usage totals, kept by the ledger workflow. */
export interface UserUsageTotals {
  userId: string;
  jobs: number;
  byModel: Record<string, ModelUsageTotals>;
  /** Per UTC day (`YYYY-MM-DD`), the last {@link USAGE_DAYS_KEPT} days with usage. */
  days?: Record<string, DailyUsage>;
  updatedAt?: string;
}

/** Input of the usage ledger (carried across continue-as-new). */
export interface UsageWorkflowInput {
  userId: string;
  totals?: UserUsageTotals;
  /**
   * Keys of the most recently counted records: a job id (records of whole jobs) or
   * `jobId:call` (call records). A record sent by an activity may arrive twice (the activity is
   * retried when its completion is lost); the ledger counts each key once.
   */
  recentJobIds?: string[];
  /** Usage of the job that started the ledger. */
  initial?: UsageRecord;
}

/** Conversation settings, fixed when the conversation (re)starts. */
export interface ConversationSettings {
  model: ModelSettings;
  policy: ClaudeCallPolicy;
  tools: AgentToolSettings;
  promptCaching: boolean;
  activityTaskQueue: string;
  workflowTaskQueue: string;
  /** Continue-as-new after this many turns in one run (or earlier when Temporal suggests it). */
  maxTurnsPerRun: number;
  /** Close after this long without messages. */
  idleTimeoutMs: number;
  /** Earlier turns sent to the model with each message; older turns are compacted. */
  contextTurns: number;
  /** Characters of earlier turns sent to the model at most (keeps the carried state small). */
  contextChars: number;
  /** Messages waiting at most; more are refused. */
  maxQueued: number;
  /** Characters kept of a compacted turn's message and response. */
  previewChars: number;
  /** Turns record usage from their model-call activities (see {@link AgentJobInput}). */
  usageByActivity?: boolean;
  /** Turns keep their transcript by reference (absent in conversations started before). */
  transcript?: TranscriptMode;
}

/** One turn of a conversation. */
export interface ConversationTurn {
  turn: number;
  jobId: string;
  message: string;
  status: JobStatus;
  priority: PriorityLevel;
  tools: boolean;
  submittedAt: string;
  startedAt?: string;
  completedAt?: string;
  response?: string;
  usage?: TokenUsage;
  model?: string;
  error?: { type: string; message: string };
  toolCalls?: number;
  /** Message and response were cut to a preview; the full text stays in the turn's job. */
  compacted?: boolean;
  /** Fingerprint of the request that submitted it (absent in turns accepted before it existed). */
  requestHash?: string;
  /** Approval settings the turn's agent job runs with (absent: no approvals). */
  approval?: ApprovalSettings;
  /** The turn's `max_cost_usd` (absent: no cap). */
  maxCostUsd?: number;
  /** Completion webhook of the turn's job (absent: none). */
  webhook?: WebhookSettings;
  /**
   * Stopped by a newer message sent with `on_busy: "interrupt"` (kept, marked) or `"rollback"`
   * (removed once stopped); the newer message's job id.
   */
  interruptedBy?: { jobId: string; policy: 'interrupt' | 'rollback' };
}

/** State of a conversation, exposed by query and returned when it closes. */
export interface ConversationState {
  userId: string;
  conversationId: string;
  createdAt: string;
  turns: ConversationTurn[];
  /** Runs so far (1 + continue-as-new count + idle restarts). */
  runs: number;
  /** Set when the conversation closed after idling. */
  closedAt?: string;
}

/** Input of a conversation run. */
export interface ConversationInput {
  userId: string;
  conversationId: string;
  settings: ConversationSettings;
  /** State carried from the previous run (continue-as-new, or a restart after idling). */
  state?: ConversationState;
}

/** Argument of the `submitMessage` update. */
export interface SubmitMessage {
  jobId: string;
  message: string;
  submittedAt: string;
  priority: PriorityLevel;
  tools: boolean;
  /** Fingerprint of the request, kept with the turn to detect an idempotency key's reuse. */
  requestHash?: string;
  /** Tools of this turn that wait for a human decision (absent: none). */
  approval?: ApprovalSettings;
  /** The turn's `max_cost_usd`, if any. */
  maxCostUsd?: number;
  /** Completion webhook of the turn's job (absent: none). */
  webhook?: WebhookSettings;
  /**
   * What to do when a turn is already running or waiting (absent: `enqueue`, queue behind it).
   * Decided by the conversation itself, atomically with accepting the message.
   */
  onBusy?: Exclude<OnBusyPolicy, 'enqueue'>;
}

/** Double-texting policies of a conversation message (`on_busy`). */
export type OnBusyPolicy = 'enqueue' | 'reject' | 'interrupt' | 'rollback';

/** Result of the `submitMessage` update. */
export interface SubmitMessageResult {
  jobId: string;
  turn: number;
  submittedAt: string;
  /** True when this job id was already accepted (an idempotent retry). */
  duplicate: boolean;
  /**
   * The fingerprint the turn was first submitted with, if it has one. Temporal answers a retried
   * update id (within a run) with the first outcome, so a retry may see `duplicate: false` and
   * must compare this, and `submittedAt`, with its own.
   */
  requestHash?: string;
}

/** Memo of a conversation run: enough to answer for queued turns without any worker. */
export interface ConversationMemo {
  user_id: string;
  conversation_id: string;
  /** Turns waiting for their turn: [job id, turn, submitted at, priority]. */
  pending: [string, number, string, PriorityLevel][];
}
