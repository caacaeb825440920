import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { FailureType } from '../shared/failure-types';
import { estimateCostUsd, type PriceTable, type TokenCounts } from './price-table';
import { METRIC_PREFIX } from './registry';

/** Model calls stream for seconds to minutes. */
const CALL_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

/** What a worker reports about its slots (a subset of `Worker.getStatus()`). */
export interface SlotSource {
  taskQueue: string;
  slotType: 'activity' | 'workflow';
  max: number;
  /** Tasks running right now. */
  used(): number;
}

/** Outcome of one model-call attempt. */
export type ClaudeCallOutcome = 'success' | 'error' | 'cancelled';

/** Metrics of a worker process (activity and/or workflow worker). */
export interface WorkerMetrics {
  registry: Registry;
  claudeCalls: Counter<'model' | 'outcome'>;
  claudeCallDuration: Histogram<'model' | 'outcome'>;
  claudeTimeToFirstToken: Histogram<'model'>;
  claudeTokens: Counter<'model' | 'type'>;
  claudeCost: Counter<'model'>;
  claudeErrors: Counter<'model' | 'failure_type' | 'retryable'>;
  claudeRetries: Counter<'model'>;
  claudeRateLimited: Counter<'model'>;
  claudeInFlight: Gauge<'model'>;
  claudeScheduleToStart: Histogram<'priority'>;
  toolCalls: Counter<'tool' | 'outcome'>;
  toolCallDuration: Histogram<'tool'>;
  /** Records per usage-ledger write (group commit: grows with load), by outcome. */
  usageFlushRecords: Histogram<'outcome'>;
  /** Duration of one usage-ledger write, retries included, by outcome. */
  usageFlushDuration: Histogram<'outcome'>;
  /** Records one finished tool call (outcome: success, tool_error, invalid_input, unknown_tool, failure). */
  recordToolCall(tool: string, outcome: string, seconds: number): void;
  /** Registers a worker whose slot usage is read at scrape time. */
  addSlotSource(source: SlotSource): void;
  /** Records the tokens and estimated cost of one successful call. */
  recordUsage(model: string, usage: TokenCounts): void;
  /** Records one failed attempt by its failure type. */
  recordError(model: string, failureType: string, retryable: boolean): void;
}

/** Options of {@link createWorkerMetrics}. */
export interface WorkerMetricsOptions {
  /** Prices for the cost counter (USD per million tokens). */
  prices: PriceTable;
}

/** Defines a worker process's metrics on `registry`. */
export function createWorkerMetrics(
  registry: Registry,
  options: WorkerMetricsOptions,
): WorkerMetrics {
  const registers = [registry];
  const slotSources: SlotSource[] = [];
  const labelsOf = (s: SlotSource) => ({ task_queue: s.taskQueue, slot_type: s.slotType });

  // Slots are read from the workers at scrape time: a local, cheap call, never stale.
  new Gauge({
    name: `${METRIC_PREFIX}worker_slots_used`,
    help: 'Task slots in use (tasks running) in this worker process, by task queue and type.',
    labelNames: ['task_queue', 'slot_type'],
    registers,
    collect() {
      this.reset();
      for (const s of slotSources) this.set(labelsOf(s), s.used());
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}worker_slots_max`,
    help: 'Task slots configured in this worker process (max concurrent tasks).',
    labelNames: ['task_queue', 'slot_type'],
    registers,
    collect() {
      this.reset();
      for (const s of slotSources) this.set(labelsOf(s), s.max);
    },
  });

  const metrics = {
    registry,
    claudeCalls: new Counter({
      name: `${METRIC_PREFIX}claude_calls_total`,
      help: 'Model-call attempts finished, by model and outcome (success, error, cancelled).',
      labelNames: ['model', 'outcome'],
      registers,
    }),
    claudeCallDuration: new Histogram({
      name: `${METRIC_PREFIX}claude_call_duration_seconds`,
      help: 'Duration of one model-call attempt, request to last token or error.',
      labelNames: ['model', 'outcome'],
      buckets: CALL_BUCKETS,
      registers,
    }),
    claudeTimeToFirstToken: new Histogram({
      name: `${METRIC_PREFIX}claude_time_to_first_token_seconds`,
      help: 'Request start to the first streamed text token.',
      labelNames: ['model'],
      buckets: TTFT_BUCKETS,
      registers,
    }),
    claudeTokens: new Counter({
      name: `${METRIC_PREFIX}claude_tokens_total`,
      help: 'Tokens billed by successful model calls, by type (input, output, cache_write, cache_read).',
      labelNames: ['model', 'type'],
      registers,
    }),
    claudeCost: new Counter({
      name: `${METRIC_PREFIX}claude_cost_dollars_total`,
      help: 'Estimated spend in US dollars from the price table (CLAUDE_PRICES_JSON or built-in).',
      labelNames: ['model'],
      registers,
    }),
    claudeErrors: new Counter({
      name: `${METRIC_PREFIX}claude_call_errors_total`,
      help:
        'Failed model-call attempts by failure type; retryable="true" ones are retried by ' +
        'Temporal while attempts remain.',
      labelNames: ['model', 'failure_type', 'retryable'],
      registers,
    }),
    claudeRetries: new Counter({
      name: `${METRIC_PREFIX}claude_call_retries_total`,
      help: 'Model-call attempts that were retries (Temporal attempt > 1).',
      labelNames: ['model'],
      registers,
    }),
    claudeRateLimited: new Counter({
      name: `${METRIC_PREFIX}claude_rate_limited_total`,
      help: 'Model calls refused with a 429 (rate limit or spend limit).',
      labelNames: ['model'],
      registers,
    }),
    claudeInFlight: new Gauge({
      name: `${METRIC_PREFIX}claude_calls_in_flight`,
      help: 'Model calls running right now in this process.',
      labelNames: ['model'],
      registers,
    }),
    claudeScheduleToStart: new Histogram({
      name: `${METRIC_PREFIX}claude_schedule_to_start_seconds`,
      help:
        'Queue wait of a model-call attempt: scheduled by the workflow (or its retry timer) to ' +
        'started on a worker, by priority key.',
      labelNames: ['priority'],
      buckets: WAIT_BUCKETS,
      registers,
    }),
    toolCalls: new Counter({
      name: `${METRIC_PREFIX}tool_calls_total`,
      help:
        'Agent tool calls by tool and outcome (success, tool_error, invalid_input, ' +
        'unknown_tool, failure = threw and will be retried).',
      labelNames: ['tool', 'outcome'],
      registers,
    }),
    toolCallDuration: new Histogram({
      name: `${METRIC_PREFIX}tool_call_duration_seconds`,
      help: 'Duration of one agent tool call attempt.',
      labelNames: ['tool'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers,
    }),
    usageFlushRecords: new Histogram({
      name: `${METRIC_PREFIX}usage_flush_records`,
      help:
        'Call records per usage-ledger write (one statement or one signal per user); batches ' +
        'grow with load. outcome: committed or failed.',
      labelNames: ['outcome'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    }),
    usageFlushDuration: new Histogram({
      name: `${METRIC_PREFIX}usage_flush_duration_seconds`,
      help: 'Duration of one usage-ledger write, retries included (model calls wait for it).',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    }),
  };

  return {
    ...metrics,
    addSlotSource(source) {
      slotSources.push(source);
    },
    recordUsage(model, usage) {
      metrics.claudeTokens.inc({ model, type: 'input' }, usage.input_tokens);
      metrics.claudeTokens.inc({ model, type: 'output' }, usage.output_tokens);
      if (usage.cache_creation_input_tokens) {
        metrics.claudeTokens.inc({ model, type: 'cache_write' }, usage.cache_creation_input_tokens);
      }
      if (usage.cache_read_input_tokens) {
        metrics.claudeTokens.inc({ model, type: 'cache_read' }, usage.cache_read_input_tokens);
      }
      const cost = estimateCostUsd(options.prices, model, usage);
      // An unpriced model still gets a series (at 0) so the dashboard shows it as unpriced.
      metrics.claudeCost.inc({ model }, cost ?? 0);
    },
    recordToolCall(tool, outcome, seconds) {
      metrics.toolCalls.inc({ tool, outcome });
      metrics.toolCallDuration.observe({ tool }, seconds);
    },
    recordError(model, failureType, retryable) {
      metrics.claudeErrors.inc({ model, failure_type: failureType, retryable: String(retryable) });
      if (
        failureType === FailureType.ClaudeRateLimited ||
        failureType === FailureType.ClaudeSpendLimit
      ) {
        metrics.claudeRateLimited.inc({ model });
      }
    },
  };
}
