import { defineQuery } from '@temporalio/workflow';
import type { ChatJobState } from './job';

/** Query answered by a running chat workflow with its current state. */
export const getJobStatusQuery = defineQuery<ChatJobState>('getJobStatus');
