/**
 * The Message Batches lane (docs/batch-lane.md): names, settings and messages shared by the API,
 * the job workflows, the per-model collector workflow and its activities.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ClaudeAgentCallResult } from './agent';
import type { JobError } from './job';

/** How a job's model calls are made: streamed one by one, or gathered into Message Batches. */
export type JobLane = 'interactive' | 'batch';

/** Workflow type of the batch collector (one per model). */
export const BATCH_COLLECTOR_WORKFLOW_TYPE = 'batchCollectorWorkflow';

/** Workflow id of the collector of one model's batch requests. */
export function batchCollectorWorkflowId(model: string): string {
  return `batch-collector~${model}`;
}

/** Batch-lane settings, fixed at submission (the job input) and carried by the collector. */
export interface BatchLaneSettings {
  /** Task queue of the workflow workers: where the collector runs. */
  collectorTaskQueue: string;
  /** A batch is sent as soon as this many requests wait. */
  maxRequests: number;
  /** ... or this long after the first waiting request arrived. */
  maxWaitMs: number;
  /** First wait between polls of a sent batch; it doubles up to `pollMaxMs`. */
  pollInitialMs: number;
  pollMaxMs: number;
  /** What an expired request does: run in the interactive lane, or fail the job. */
  expired: 'interactive' | 'fail';
  /** Batches a retryable errored request may be sent in before its job fails. */
  maxAttempts: number;
  /** The collector continues as new past this many history events (between batches). */
  historyEvents: number;
}

/**
 * A request waiting for, or in, a batch: a reference, never the request body. The body is read
 * by the batch-creating activity from the job's own history (its input, or the input of the
 * activity that enqueued a later agent step), so large transcripts never enter the collector.
 */
export interface BatchRequestRef {
  jobId: string;
  userId: string;
  /** 0-based model call of the job. */
  call: number;
  kind: 'chat' | 'agent';
  /** Commit the call's usage to the usage ledger (the job's `usageByActivity`). */
  recordUsage?: boolean;
  /** Batches this request was already sent in (retryable errors send it again). */
  tries?: number;
}

/** A sent batch the collector polls. */
export interface InflightBatch {
  id: string;
  submittedAt: string;
  requests: BatchRequestRef[];
  /** Current wait between polls, and when the next poll is due (epoch ms, workflow time). */
  pollMs: number;
  nextPollAt: number;
  /** Jobs of this batch cancelled since it was sent: their results are discarded. */
  cancelled: string[];
}

/** Input of the collector workflow (and of each continue-as-new). */
export interface BatchCollectorInput {
  model: string;
  /** Task queue of the activity workers (the batch activities call the Batches API). */
  activityTaskQueue: string;
  settings: BatchLaneSettings;
  /** Carried across continue-as-new. */
  pending?: BatchRequestRef[];
  batches?: InflightBatch[];
}

/** What the collector hands a job for one model call. */
export type BatchDelivery = { call: number; batchId: string } & (
  | { outcome: 'succeeded'; result: ClaudeAgentCallResult }
  | { outcome: 'failed'; error: JobError }
  | { outcome: 'expired' }
);

/** Where a job's waiting request is, as `GET /chat/:job_id` shows it. */
export interface BatchInfo {
  /** Absent while the request is still being collected. */
  id?: string;
  status: 'collecting' | 'in_progress';
  submittedAt?: string;
}

/** Collector: a job's request joins the next batch (sent by the API or an agent step). */
export const batchEnqueueSignal = defineSignal<[BatchRequestRef]>('batchEnqueue');
/** Collector: a job was cancelled; drop its request, or discard its result. */
export const batchCancelSignal = defineSignal<[{ jobId: string; call: number }]>('batchCancel');
/** Job: the outcome of its model call `call`. */
export const batchResultSignal = defineSignal<[BatchDelivery]>('batchResult');
/** Collector: where a job's request is (undefined when the collector holds none of it). */
export const batchInfoQuery = defineQuery<BatchInfo | undefined, [string]>('batchInfo');
