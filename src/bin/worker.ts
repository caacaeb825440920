import { hostname } from 'node:os';
import { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { z } from 'zod';
import { createAnthropicClient } from '../activities/anthropic-client';
import { loadConfig } from '../config';
import { envSchema } from '../config/env-schema';
import { createLogger } from '../logging/logger';
import {
  sdkMetricsBindAddress,
  startWorkerObservability,
} from '../observability/worker-observability';
import { startTracing } from '../observability/tracing';
import {
  envFromSchema,
  flagsFromSchema,
  helpRequested,
  parseFlags,
  type CommandUsage,
} from '../runtime/cli-args';
import { onShutdown } from '../runtime/shutdown';
import { startWorkerHealthServer } from '../runtime/worker-health-server';
import { installTemporalRuntime } from '../runtime/temporal-runtime';
import { createDataConverter, logPayloadEncryption } from '../security/data-converter';
import { openWorkerToolRegistry, type WorkerToolRegistry } from '../mcp/tool-registry-with-mcp';
import { connectWorkerConnection } from '../temporal/connection';
import { readTemporalSettings } from '../temporal/settings';
import { startLiveTextServer } from '../streaming/live-text-server';
import { assertStreamSecret } from '../streaming/stream-auth';
import { openUsageWriter, type UsageWriter } from '../usage';
import { openTranscriptStore, type TranscriptStore } from '../transcripts';
import {
  activityWorkerSettings,
  createActivityWorkers,
  createWorkflowWorker,
} from '../worker/create-workers';
import { exitOnStartupError } from './startup-error';

const roleError = 'must be workflows, activities or all';
const argsSchema = z.object({
  role: z.enum(['workflows', 'activities', 'all'], { error: roleError }).default('all'),
});

const USAGE: CommandUsage = {
  synopsis: 'npm run worker -- [--role workflows|activities|all]',
  summary:
    'A worker process: polls the workflow task queue (--role workflows), the Claude-call and tool ' +
    'queues (--role activities), or all three. Needs a Temporal server.',
  flags: flagsFromSchema(argsSchema, { role: 'which task queues this process polls' }),
  env: [
    ...envFromSchema(envSchema, {
      WORKFLOW_TASK_QUEUE: 'workflow task queue',
      ACTIVITY_TASK_QUEUE: 'Claude-call activity task queue',
      TOOL_TASK_QUEUE: 'agent tool-call task queue',
      MAX_CONCURRENT_CLAUDE_CALLS: 'Claude calls in flight per activity worker',
      ANTHROPIC_API_KEY: 'the real Claude; unset with ANTHROPIC_BASE_URL = a fake Claude',
      ANTHROPIC_BASE_URL: 'Anthropic-compatible endpoint (e.g. the fake Claude)',
      WORKER_HEALTH_PORT: '/healthz and /readyz port (0 = off)',
      METRICS_PORT: '/metrics port (0 = off)',
    }),
    {
      name: 'TEMPORAL_ADDRESS',
      description: 'Temporal frontend host:port',
      default: '127.0.0.1:7233',
    },
  ],
  example: 'ANTHROPIC_BASE_URL=http://127.0.0.1:4010 npm run worker -- --role activities',
};

/**
 * Entry point: a worker process (`npm run worker -- --role=activities`). Workflow workers and
 * activity workers are separate processes on separate task queues so each fleet scales alone.
 */
async function main(): Promise<void> {
  if (helpRequested(USAGE)) return;
  const { role } = parseFlags(argsSchema, process.argv.slice(2));
  const config = loadConfig(process.env);
  if (role !== 'workflows') assertStreamSecret(config, 'activities');
  const logger = createLogger({
    name: `worker-${role}`,
    level: config.logLevel,
    pretty: config.logPretty,
  });
  installTemporalRuntime(logger, { sdkMetricsBindAddress: sdkMetricsBindAddress(config) });
  const observability = await startWorkerObservability({ config, logger });
  const temporal = readTemporalSettings(process.env);
  const connection = await connectWorkerConnection(temporal);
  const identity = `${role}:${process.pid}@${hostname()}`;
  const tracing = startTracing(
    config.observability.serviceName ?? `agent-fleet-worker-${role}`,
    config.observability.otlpEndpoint,
  );
  const base = {
    ...(tracing ? { tracing } : {}),
    connection,
    namespace: temporal.namespace,
    shutdownGraceMs: config.worker.shutdownGraceMs,
    identity,
    metrics: observability.metrics,
    dataConverter: createDataConverter(config.payloadEncryption.keyring),
  };
  logPayloadEncryption(logger, config.payloadEncryption.keyring);

  const workers: Worker[] = [];
  let usage: UsageWriter | undefined;
  let tools: WorkerToolRegistry | undefined;
  let transcripts: TranscriptStore | undefined;
  // Probes for orchestrators (Kubernetes liveness/readiness, compose healthcheck), started before
  // the workers so a slow start reads as "alive, not ready" rather than as a dead process.
  if (config.worker.healthPort !== 0) {
    try {
      const health = await startWorkerHealthServer({
        port: config.worker.healthPort,
        host: config.worker.healthHost,
        workers: () => workers,
      });
      logger.info({ url: health.url }, 'worker health endpoint listening');
    } catch (err) {
      // Several workers on one machine (`npm start`) share the default port: only the first gets
      // it. A missing probe endpoint must not stop a worker that can otherwise do its job.
      logger.warn(
        { err: (err as Error).message, port: config.worker.healthPort },
        'worker health endpoint not started; set a distinct WORKER_HEALTH_PORT per process (0 = off)',
      );
    }
  }
  if (role === 'workflows' || role === 'all') {
    workers.push(
      await createWorkflowWorker({
        ...base,
        taskQueue: config.taskQueues.workflows,
        workflowBundlePath: config.worker.workflowBundlePath,
        maxConcurrentWorkflowTasks: config.worker.maxConcurrentWorkflowTasks,
        webhooks: { webhooks: config.webhooks, prices: config.observability.prices },
      }),
    );
  }
  if (role === 'activities' || role === 'all') {
    const anthropic = createAnthropicClient({
      apiKey: config.claude.apiKey,
      baseURL: config.claude.baseURL,
      timeoutMs: config.claude.policy.attemptTimeoutMs,
    });
    // Live text of agent model calls for the API's SSE endpoint (see src/streaming).
    const liveText = await startLiveTextServer(config, logger);
    // Model calls commit their usage through this process's group-commit writer (src/usage):
    // PostgreSQL when USAGE_DATABASE_URL is set, else the per-user ledger workflows.
    const { metrics } = observability;
    usage = await openUsageWriter({
      config,
      client: new Client({
        connection,
        namespace: temporal.namespace,
        dataConverter: base.dataConverter,
      }),
      logger,
      onFlush: (records, ms, committed) => {
        const outcome = committed ? 'committed' : 'failed';
        metrics.usageFlushRecords.observe({ outcome }, records);
        metrics.usageFlushDuration.observe({ outcome }, ms / 1000);
      },
    });
    // Built-in tools plus those of the MCP servers (MCP_SERVERS), connected and listed once.
    tools = await openWorkerToolRegistry(config.agent.mcpServers, logger);
    // Transcripts of agent jobs kept by reference (src/transcripts): PostgreSQL or local files.
    transcripts = await openTranscriptStore(config.transcripts, logger);
    workers.push(
      ...(await createActivityWorkers({
        ...base,
        ...activityWorkerSettings(config),
        anthropic,
        logger,
        streams: liveText.hub,
        usage,
        tools: tools.registry,
        transcripts,
      })),
    );
  }
  logger.info(
    {
      identity,
      temporal: temporal.address,
      claude: config.claude.baseURL ?? 'api.anthropic.com',
      task_queues:
        role === 'all'
          ? config.taskQueues
          : role === 'workflows'
            ? config.taskQueues.workflows
            : [config.taskQueues.activities, config.taskQueues.tools],
    },
    'worker polling',
  );
  // run() resolves once shutdown has drained in-flight tasks (or the grace time expired).
  const running = Promise.all(workers.map((worker) => worker.run()));
  onShutdown(async (reason) => {
    logger.info({ reason }, 'worker shutting down');
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    // Drained workers record nothing more: commit what is queued, then close the store.
    await usage?.close();
    await tools?.close();
    await transcripts?.close();
    await connection.close();
    await tracing?.shutdown();
    await observability.close();
    logger.info('worker stopped');
  });
  try {
    await running;
  } catch (err) {
    // A worker whose run() failed must not linger looking healthy: exit so it gets restarted.
    logger.fatal({ err }, 'worker failed');
    process.exit(1);
  }
}

main().catch(exitOnStartupError('worker'));
