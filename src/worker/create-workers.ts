import type Anthropic from '@anthropic-ai/sdk';
import { hostname } from 'node:os';
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, createToolActivities } from '../activities';
import type { RateGovernorTarget } from '../activities/model-call-failure';
import type { ToolRegistry } from '../activities/tools/registry';
import { createControlActivities } from '../activities/control';
import type { PriceTable } from '../observability/price-table';
import {
  TokenRateLimiter,
  tokenLimitsEnabled,
  type TokenLimitSettings,
} from '../activities/token-rate-limiter';
import { createWebhookActivities, type DeliverWebhookDeps } from '../activities/webhook-activities';
import type { WorkerMetrics } from '../observability/worker-metrics';
import type { StreamHub } from '../streaming/stream-hub';
import { identityWithStream } from '../streaming/worker-identity';
import type { UsageSink } from '../usage/types';
import type { TranscriptStore } from '../transcripts/types';
import type { AppConfig } from '../config';
import type { TracingHandle } from '../observability/tracing';
import { workerTracingOptions } from '../observability/worker-tracing';
import { workflowSource } from './workflow-source';

/** What every worker needs. */
export interface WorkerBaseOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** How long in-flight tasks may run on after shutdown starts before they are cancelled. */
  shutdownGraceMs: number;
  identity?: string;
  /** Worker metrics: slot usage of this worker (and, for activity workers, the Claude calls). */
  metrics?: WorkerMetrics;
  /** Payload codecs and failure converter (src/security/data-converter); must match the client's. */
  dataConverter?: DataConverter;
  /** OpenTelemetry set-up when tracing is on. */
  tracing?: TracingHandle;
}

/** Options of a workflow worker (deterministic orchestration only; no I/O). */
export interface WorkflowWorkerOptions extends WorkerBaseOptions {
  workflowBundlePath?: string;
  maxConcurrentWorkflowTasks: number;
  /**
   * Completion-webhook settings (signing secret, allowed prefixes) of the `deliverWebhook`
   * activity this worker runs. Absent: the activity refuses every URL (webhooks off).
   */
  webhooks?: DeliverWebhookDeps;
}

/** Options of an activity worker (the processes that call Claude). */
export interface ActivityWorkerOptions extends WorkerBaseOptions {
  anthropic: Anthropic;
  logger: Logger;
  maxConcurrentClaudeCalls: number;
  maxResponseChars: number;
  /** Fleet-wide cap on model calls per second (0 or absent: none). */
  maxClaudeCallsPerSecond?: number;
  /** Report 429s to the fleet-wide rate governor. */
  rateGovernor?: RateGovernorTarget;
  /**
   * Live text of model calls, served to the API for SSE (absent: not streamed live). Its server
   * must already listen: its base URL goes into the worker's identity.
   */
  streams?: StreamHub;
  /** Where model calls commit their usage (the process's group-commit writer, src/usage). */
  usage: UsageSink;
  /**
   * Task queue of agent tool calls, polled by a second worker in this process (absent: none).
   * Tools get their own slots and no rate limit, so a backlog of model calls never delays them.
   */
  toolTaskQueue?: string;
  /** Tool calls this process runs at once. */
  maxConcurrentToolCalls?: number;
  /** Transcripts of agent jobs kept by reference (src/transcripts); required by those jobs. */
  transcripts?: TranscriptStore;
  /** Tools offered and run by this process (default: the built-in ones; MCP: src/mcp). */
  tools?: ToolRegistry;
  /** Prices of the per-job cost cap (absent: the built-in table). */
  prices?: PriceTable;
  /**
   * Fleet token limits: this process builds its own limiter (its 1/N share) from them. Absent or
   * all zero: no token limiting (the request limit `maxClaudeCallsPerSecond` still applies).
   */
  tokenLimits?: TokenLimitSettings;
}

/** Workflow code (plain or traced bundle) plus the tracing interceptors and sinks. */
function workflowTracedSource(options: WorkflowWorkerOptions) {
  const traced = options.tracing !== undefined;
  const source = workflowSource(options.workflowBundlePath, { traced });
  return { ...source, ...workerTracingOptions(options.tracing, 'workflow', source) };
}

/**
 * The activity-worker options that follow from configuration alone: its queue, slots, reply
 * limit, the fleet-wide rate limit and where 429s are reported. Every activity worker — the
 * process entry point and in-process test stacks — takes them from here.
 */
export function activityWorkerSettings(
  config: AppConfig,
): Pick<
  ActivityWorkerOptions,
  | 'taskQueue'
  | 'maxConcurrentClaudeCalls'
  | 'maxResponseChars'
  | 'maxClaudeCallsPerSecond'
  | 'rateGovernor'
  | 'toolTaskQueue'
  | 'maxConcurrentToolCalls'
  | 'prices'
  | 'tokenLimits'
> {
  return {
    taskQueue: config.taskQueues.activities,
    toolTaskQueue: config.taskQueues.tools,
    maxConcurrentToolCalls: config.worker.maxConcurrentToolCalls,
    maxConcurrentClaudeCalls: config.worker.maxConcurrentClaudeCalls,
    maxResponseChars: config.claude.maxResponseChars,
    prices: config.observability.prices,
    tokenLimits: config.scheduling.claudeTokenLimits,
    maxClaudeCallsPerSecond: config.scheduling.claudeMaxRps,
    rateGovernor: {
      workflowTaskQueue: config.taskQueues.workflows,
      activityTaskQueue: config.taskQueues.activities,
      cooldownRps: config.scheduling.claudeCooldownRps,
      cooldownFactor: config.scheduling.claudeCooldownFactor,
    },
  };
}

/** The Worker.create options every worker of ours shares: where it polls, who it is, its codec. */
function sharedWorkerOptions(options: WorkerBaseOptions, taskQueue: string) {
  return {
    connection: options.connection,
    namespace: options.namespace,
    taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    shutdownGraceTime: options.shutdownGraceMs,
  };
}

/** Publishes a worker's slot usage (max and in use) for its task queue. */
function reportSlots(
  options: WorkerBaseOptions,
  taskQueue: string,
  slotType: 'workflow' | 'activity',
  max: number,
  used: () => number,
): void {
  options.metrics?.addSlotSource({ taskQueue, slotType, max, used });
}

/**
 * How long a workflow task waits on this worker's sticky queue before the server moves it to the
 * normal queue (TS SDK default 10 s; the Go and Java SDKs use 5 s). A worker that dies without a
 * graceful shutdown (SIGKILL, OOM) cannot tell the server its sticky queue is gone, so every
 * workflow it had cached — the users' usage ledgers, conversations, jobs in flight — stalls this
 * long on its next task. 3 s added sticky timeouts (9 in 360 jobs) on a live worker overloaded at
 * 35 jobs/s; 5 s and 10 s added none (docs/temporal-server.md).
 */
export const STICKY_QUEUE_SCHEDULE_TO_START_TIMEOUT = '5s';

/** Webhook settings of a worker given none: every URL is refused. */
const WEBHOOKS_OFF: DeliverWebhookDeps['webhooks'] = {
  allowedUrlPrefixes: [],
  maxDeliveryMs: 0,
  timeoutMs: 0,
};

/** Creates a worker that runs workflow tasks only. */
export async function createWorkflowWorker(options: WorkflowWorkerOptions): Promise<Worker> {
  const worker = await Worker.create({
    ...sharedWorkerOptions(options, options.taskQueue),
    ...workflowTracedSource(options),
    // Control-plane activities (the rate governor's; the usage ledger's local activity, still
    // replayed and retried by jobs submitted before usage was recorded by the model-call
    // activity) run here, never behind the Claude queue's rate limit.
    activities: {
      ...createControlActivities(),
      // Completion webhooks run here too: outbound HTTP that must not wait behind model calls.
      ...createWebhookActivities(options.webhooks ?? { webhooks: WEBHOOKS_OFF }),
    },
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTasks,
    stickyQueueScheduleToStartTimeout: STICKY_QUEUE_SCHEDULE_TO_START_TIMEOUT,
  });
  reportSlots(
    options,
    options.taskQueue,
    'workflow',
    options.maxConcurrentWorkflowTasks,
    () => worker.getStatus().numInFlightWorkflowActivations,
  );
  return worker;
}

/**
 * Creates a worker that runs the Claude-calling activities only, on its own task queue, so this
 * fleet scales independently of the workflow workers. It also registers `runTool`, for tool calls
 * scheduled on this queue by jobs submitted before tools had their own.
 */
export async function createActivityWorker(options: ActivityWorkerOptions): Promise<Worker> {
  const worker = await Worker.create({
    ...sharedWorkerOptions(options, options.taskQueue),
    // The identity names this process's stream server: the server records it when an attempt
    // starts, and the API reads it there to find the attempt's live text (worker-identity.ts).
    identity: identityWithStream(
      options.identity ?? `${process.pid}@${hostname()}`,
      options.streams?.baseUrl,
    ),
    ...workerTracingOptions(options.tracing, 'activity'),
    activities: createActivities({
      anthropic: options.anthropic,
      logger: options.logger,
      maxResponseChars: options.maxResponseChars,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.rateGovernor ? { rateGovernor: options.rateGovernor } : {}),
      ...(options.streams ? { streams: options.streams } : {}),
      usage: options.usage,
      ...(options.transcripts ? { transcripts: options.transcripts } : {}),
      ...(options.tools ? { tools: options.tools } : {}),
      ...(options.prices ? { prices: options.prices } : {}),
      ...(options.tokenLimits && tokenLimitsEnabled(options.tokenLimits)
        ? { tokenLimiter: new TokenRateLimiter(options.tokenLimits) }
        : {}),
    }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentClaudeCalls,
    // Fleet-wide model calls per second, enforced by the server for all workers together
    // (every worker must pass the same value; 0 = no limit).
    ...(options.maxClaudeCallsPerSecond
      ? { maxTaskQueueActivitiesPerSecond: options.maxClaudeCallsPerSecond }
      : {}),
  });
  reportSlots(
    options,
    options.taskQueue,
    'activity',
    options.maxConcurrentClaudeCalls,
    () => worker.getStatus().numInFlightActivities,
  );
  return worker;
}

/**
 * Creates the workers of an activity-worker process: the Claude worker and, when a tool queue is
 * configured, the tool worker beside it on the same connection.
 */
export async function createActivityWorkers(options: ActivityWorkerOptions): Promise<Worker[]> {
  const workers = [await createActivityWorker(options)];
  if (options.toolTaskQueue) workers.push(await createToolWorker(options, options.toolTaskQueue));
  return workers;
}

/** Creates the worker of the tool queue: it runs `runTool` only. */
async function createToolWorker(
  options: ActivityWorkerOptions,
  taskQueue: string,
): Promise<Worker> {
  const maxConcurrent = options.maxConcurrentToolCalls ?? 100;
  const worker = await Worker.create({
    ...sharedWorkerOptions(options, taskQueue),
    ...workerTracingOptions(options.tracing, 'activity'),
    activities: createToolActivities({
      logger: options.logger,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.transcripts ? { transcripts: options.transcripts } : {}),
      ...(options.tools ? { tools: options.tools } : {}),
    }),
    maxConcurrentActivityTaskExecutions: maxConcurrent,
    // Tool activities have no heartbeat timeout; the long ones (MCP calls) heartbeat anyway so
    // they hear of a cancelled job. Without a timeout the SDK would send those at most every 30 s.
    defaultHeartbeatThrottleInterval: '1s',
  });
  reportSlots(
    options,
    taskQueue,
    'activity',
    maxConcurrent,
    () => worker.getStatus().numInFlightActivities,
  );
  return worker;
}
