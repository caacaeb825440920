/** Metrics and pricing. Factories only: nothing here is a module-level singleton. */
export { createApiMetrics, type ApiMetrics, type FinishedJobSample } from './api-metrics';
export { startMetricsServer, type MetricsServerHandle } from './metrics-server';
export {
  DEFAULT_PRICE_TABLE,
  estimateCostUsd,
  findModelPrice,
  type ModelPrice,
  type PriceTable,
} from './price-table';
export { startQueueSampler, type QueueSampler, type SampledQueue } from './queue-sampler';
export { METRIC_PREFIX, createMetricsRegistry, secondsBetween } from './registry';
export {
  createWorkerMetrics,
  type ClaudeCallOutcome,
  type SlotSource,
  type WorkerMetrics,
} from './worker-metrics';
