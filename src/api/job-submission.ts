import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Logger } from 'pino';
import type { ToolRegistry } from '../activities/tools/registry';
import type { AppConfig } from '../config';
import {
  AGENT_WORKFLOW_TYPE,
  CHAT_WORKFLOW_TYPE,
  conversationJobId,
  conversationWorkflowId,
  toTemporalPriority,
  type ModelSettings,
  type OnBusyPolicy,
  type PriorityLevel,
} from '../shared';
import type { AdmissionController } from './admission/admission-controller';
import type { ConversationService } from './conversation-service';
import { HttpError } from './http-error';
import {
  agentJobInput,
  approvalSettings,
  chatJobInput,
  webhookInput,
  type JobBase,
} from './job-inputs';
import type { JobMemo } from './job-view';
import { callWithin, type Deadline } from './request-deadline';
import { fairnessFor, jobIdForIdempotencyKey, jobSearchAttributes } from './temporal-calls';

/** The kinds of job: a plain chat job, a tool-using agent job, a conversation turn. */
export type JobKind = 'chat' | 'agent' | 'turn';

/** A validated submission of any kind. */
export interface Submission {
  kind: JobKind;
  userId: string;
  message: string;
  priority: PriorityLevel;
  /** The job's deadline in milliseconds (already capped by configuration). */
  deadlineMs?: number;
  /** Client-chosen key making the submission idempotent for this user. */
  idempotencyKey?: string;
  /** Model settings after validation against what the operator allows. */
  model: ModelSettings;
  /** Model fields the client named itself: part of the request's fingerprint. */
  requested?: { model?: string; maxTokens?: number };
  /** Agent jobs and turns: the job's cost cap in US dollars (`max_cost_usd`). */
  maxCostUsd?: number;
  /** Conversation turns only: which conversation, and whether the turn may use tools. */
  conversation?: { id: string; tools: boolean; onBusy?: OnBusyPolicy };
  /** `require_approval` of the request (agent jobs and turns; names checked by the route). */
  requireApproval?: boolean | string[];
  /** `callback_url`, already checked against the allowed prefixes. */
  callbackUrl?: string;
}

/** Outcome of a submission. */
export interface SubmitResult {
  jobId: string;
  /** When the job was first accepted (an idempotent retry returns the original time). */
  submittedAt: string;
  /** False when an idempotent retry found the job this key already started. */
  created: boolean;
  /** Conversation turns: the turn's number in its conversation. */
  turn?: number;
}

/** The one submission path of every job kind. */
export interface JobSubmitter {
  submit(submission: Submission, deadline: Deadline): Promise<SubmitResult>;
}

/** Dependencies of {@link createJobSubmitter}. */
export interface JobSubmitterDeps {
  client: Client;
  config: AppConfig;
  logger: Logger;
  registry: ToolRegistry;
  conversations: ConversationService;
  /** Backpressure and the start limit; absent in tools (fixture recording) that only start. */
  admission?: AdmissionController;
}

const WORKFLOW_TYPES = { chat: CHAT_WORKFLOW_TYPE, agent: AGENT_WORKFLOW_TYPE } as const;

/**
 * Fingerprint of what a submission asks for, to detect an Idempotency-Key reused with another
 * body. Fields beyond the plain job's (kind, conversation, model chosen by the client) join the
 * hash only when present, so a plain job accepted before they existed keeps its fingerprint and
 * its retries still match.
 */
export function requestFingerprint(submission: Submission): string {
  const fields: unknown[] = [
    submission.message,
    submission.priority,
    submission.deadlineMs ?? null,
  ];
  if (submission.kind !== 'chat') fields.push(submission.kind);
  if (submission.conversation) {
    fields.push(submission.conversation.id, submission.conversation.tools);
    const onBusy = submission.conversation.onBusy;
    if (onBusy !== undefined && onBusy !== 'enqueue') fields.push(['on_busy', onBusy]);
  }
  if (submission.requested?.model !== undefined) fields.push(['model', submission.requested.model]);
  if (submission.requested?.maxTokens !== undefined) {
    fields.push(['max_tokens', submission.requested.maxTokens]);
  }
  if (submission.requireApproval !== undefined) {
    fields.push(['require_approval', submission.requireApproval]);
  }
  if (submission.maxCostUsd !== undefined) fields.push(['max_cost_usd', submission.maxCostUsd]);
  if (submission.callbackUrl !== undefined) fields.push(['callback_url', submission.callbackUrl]);
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * The job id of a submission: random, or derived from (kind, user, key) with an Idempotency-Key,
 * so a plain and an agent job never share an id. Plain jobs keep the derivation they had before
 * the kind joined it (their retries across a deploy still find their job); a turn's id is also
 * prefixed by its conversation's workflow id (`conv~<user>~<conversation>~<uuid>`).
 */
export function jobIdFor(submission: Submission): string {
  const { kind, userId, idempotencyKey: key, conversation } = submission;
  if (kind === 'turn') {
    const uuid = key
      ? jobIdForIdempotencyKey(userId, `${conversation?.id ?? ''}\n${key}`)
      : randomUUID();
    return conversationJobId(conversationWorkflowId(userId, conversation?.id ?? ''), uuid);
  }
  if (!key) return randomUUID();
  return kind === 'chat'
    ? jobIdForIdempotencyKey(userId, key)
    : jobIdForIdempotencyKey(userId, `${kind}\n${key}`);
}

/** The approval field of a turn, only when the turn has tools needing approval. */
function approvalField(approval: ReturnType<typeof approvalSettings>) {
  return approval ? { approval } : {};
}

function keyConflict(): HttpError {
  return new HttpError(
    409,
    'idempotency_key_conflict',
    'This Idempotency-Key was already used with a different request',
    [{ field: 'Idempotency-Key', message: 'already used with a different body' }],
  );
}

/**
 * Creates the submission path every job kind takes: (validated by the route) → admission →
 * idempotency (deterministic id, fingerprint, 409 for another body, the original `submitted_at`
 * on a retry) → start, through admission's start limit. All Temporal calls of one submission
 * share its request's deadline.
 */
export function createJobSubmitter(deps: JobSubmitterDeps): JobSubmitter {
  const { client, config } = deps;
  // A typo in TOOLS_REQUIRING_APPROVAL must stop the start, not silently approve everything.
  const unknownTools = config.agent.approval.tools.filter((name) => !deps.registry.get(name));
  if (unknownTools.length > 0) {
    throw new Error(
      `TOOLS_REQUIRING_APPROVAL names unknown tools: ${unknownTools.join(', ')} (known: ${deps.registry.names().join(', ')})`,
    );
  }

  /** Through the start limit when there is admission; as is otherwise. */
  const throughLimit =
    (sample: boolean) =>
    <T>(call: () => Promise<T>): Promise<T> =>
      deps.admission ? deps.admission.start(call, { sample }) : call();

  /** Starts a chat or agent job's workflow; a retry of its key answers with the original. */
  async function startJob(
    submission: Submission & { kind: 'chat' | 'agent' },
    base: JobBase,
    fingerprint: string,
    deadline: Deadline,
  ): Promise<SubmitResult> {
    const input =
      submission.kind === 'chat'
        ? chatJobInput(base, config)
        : agentJobInput(
            base,
            config,
            deps.registry,
            approvalSettings(config, deps.registry, submission.requireApproval),
          );
    const memo: JobMemo = {
      user_id: base.userId,
      priority: base.priority,
      submitted_at: base.submittedAt,
      request_hash: fingerprint,
      ...(base.callbackUrl !== undefined ? { webhook: true as const } : {}),
    };
    try {
      await throughLimit(true)(() =>
        callWithin(client, deadline, () =>
          client.workflow.start(WORKFLOW_TYPES[submission.kind], {
            taskQueue: config.taskQueues.workflows,
            workflowId: base.jobId,
            // With an idempotency key the id is deterministic: never start it twice, even after
            // the first run finished (dedupe lasts as long as the namespace retains closed runs).
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            args: [input],
            memo: { ...memo },
            typedSearchAttributes: jobSearchAttributes(base.userId, base.priority),
            priority: toTemporalPriority(
              base.priority,
              fairnessFor(base.userId, config.scheduling.fairnessWeights),
            ),
          }),
        ),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError && submission.idempotencyKey) {
        return existingJob(base.jobId, fingerprint, deadline);
      }
      throw err;
    }
    return { jobId: base.jobId, submittedAt: base.submittedAt, created: true };
  }

  /** An idempotent retry: the same key and body return the original job; another body is a 409. */
  async function existingJob(
    jobId: string,
    fingerprint: string,
    deadline: Deadline,
  ): Promise<SubmitResult> {
    const description = await callWithin(client, deadline, () =>
      client.workflow.getHandle(jobId).describe(),
    );
    const memo = description.memo as JobMemo | undefined;
    if (!memo || memo.request_hash !== fingerprint) throw keyConflict();
    return { jobId, submittedAt: memo.submitted_at, created: false };
  }

  /** Delivers a conversation turn; the conversation answers a retry with the original turn. */
  async function startTurn(
    submission: Submission,
    base: JobBase,
    fingerprint: string,
    deadline: Deadline,
  ): Promise<SubmitResult> {
    const conversation = submission.conversation!;
    // The update waits for a workflow task of the conversation: its latency is not a start's,
    // so it holds a slot of the start limit without feeding its RTT estimate.
    const result = await deps.conversations.deliver(
      {
        jobId: base.jobId,
        userId: base.userId,
        conversationId: conversation.id,
        message: base.message,
        priority: base.priority,
        tools: conversation.tools,
        ...(base.maxCostUsd !== undefined ? { maxCostUsd: base.maxCostUsd } : {}),
        submittedAt: base.submittedAt,
        requestHash: fingerprint,
        ...approvalField(approvalSettings(config, deps.registry, submission.requireApproval)),
        ...webhookInput(base.callbackUrl, config),
        // `enqueue` is today's behaviour: the update carries no field for it.
        ...(conversation.onBusy !== undefined && conversation.onBusy !== 'enqueue'
          ? { onBusy: conversation.onBusy }
          : {}),
      },
      deadline,
      throughLimit(false),
    );
    // Temporal answers an update id it already ran (within a run) with that first outcome, which
    // says `duplicate: false`: a retry is recognised by the original's submission time instead.
    const created = !result.duplicate && result.submittedAt === base.submittedAt;
    // Turns accepted before fingerprints existed carry none: their retries are taken as matching.
    if (!created && result.requestHash !== undefined && result.requestHash !== fingerprint)
      throw keyConflict();
    return { jobId: result.jobId, submittedAt: result.submittedAt, created, turn: result.turn };
  }

  async function submit(submission: Submission, deadline: Deadline): Promise<SubmitResult> {
    const began = Date.now();
    await deps.admission?.admit(submission.userId, submission.priority, deadline);
    const fingerprint = requestFingerprint(submission);
    const base: JobBase = {
      jobId: jobIdFor(submission),
      userId: submission.userId,
      message: submission.message,
      priority: submission.priority,
      submittedAt: new Date().toISOString(),
      model: submission.model,
      deadlineMs: submission.deadlineMs,
      ...(submission.maxCostUsd !== undefined ? { maxCostUsd: submission.maxCostUsd } : {}),
      ...(submission.callbackUrl !== undefined ? { callbackUrl: submission.callbackUrl } : {}),
    };
    const result =
      submission.kind === 'turn'
        ? await startTurn(submission, base, fingerprint, deadline)
        : await startJob({ ...submission, kind: submission.kind }, base, fingerprint, deadline);
    if (result.created) deps.admission?.accepted(submission.userId);
    const fields = {
      job_id: result.jobId,
      workflow_id: result.jobId,
      user_id: submission.userId,
      kind: submission.kind,
    };
    deps.logger.info(
      {
        ...fields,
        priority: submission.priority,
        duration_ms: Date.now() - began,
        ...(result.turn !== undefined ? { turn: result.turn } : {}),
      },
      result.created ? 'job submitted' : 'job already submitted (idempotent retry)',
    );
    // The user's text may be personal data: only at debug level, never by default.
    if (result.created)
      deps.logger.debug({ ...fields, message: submission.message }, 'job message');
    return result;
  }

  return { submit };
}
