import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ChatJobState } from './job';

/** Query answered by a running chat workflow with its current state. */
export const getJobStatusQuery = defineQuery<ChatJobState>('getJobStatus');

/** Claude answered 429: slow the whole fleet down for `retryAfterMs` (sent by activity workers). */
export const claudeRateLimitedSignal =
  defineSignal<[{ retryAfterMs: number }]>('claudeRateLimited');
