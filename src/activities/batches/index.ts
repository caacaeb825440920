import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from 'pino';
import type { WorkerMetrics } from '../../observability/worker-metrics';
import type { UsageSink } from '../../usage/types';
import type { ToolRegistry } from '../tools/registry';
import { createBatchApiActivities } from './batch-api';
import { createDeliverBatchResults } from './deliver-results';
import { enqueueBatchRequest } from './enqueue';

/** Dependencies of the batch lane's activities (a subset of the activity worker's). */
export interface BatchActivityDeps {
  anthropic: Anthropic;
  logger: Logger;
  maxResponseChars: number;
  tools: ToolRegistry;
  usage?: UsageSink;
  metrics?: WorkerMetrics;
}

/** The batch lane's activities (docs/batch-lane.md), registered on the Claude activity queue. */
export function createBatchActivities(deps: BatchActivityDeps) {
  return {
    enqueueBatchRequest,
    ...createBatchApiActivities(deps),
    deliverBatchResults: createDeliverBatchResults(deps),
  };
}

export { enqueueBatchRef, type CollectorTarget } from './enqueue';
