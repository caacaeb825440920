/**
 * An in-process Agent Fleet stack for integration tests: the real API over real HTTP, real
 * Temporal workers (in this process) on the shared test server, and the fake Claude over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InterceptingCall } from '@grpc/grpc-js';
import {
  Client,
  Connection,
  type ConnectionOptions,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { createAnthropicClient } from '../../src/activities/anthropic-client';
import { loadConfig, type AppConfig } from '../../src/config';
import {
  startFakeClaude,
  type FakeClaudeOptions,
  type FakeClaudeServer,
} from '../../src/fake-claude';
import { startApiServer, type ApiServerHandle } from '../../src/runtime/api-server';
import { createDataConverter } from '../../src/security/data-converter';
import { randomStreamSecret } from '../../src/streaming/stream-auth';
import { StreamHub } from '../../src/streaming/stream-hub';
import { startStreamServer } from '../../src/streaming/stream-server';
import type { ToolRegistry } from '../../src/activities/tools/registry';
import { openTranscriptStore, type TranscriptStore } from '../../src/transcripts';
import { openUsageWriter, type UsageWriter } from '../../src/usage';
import { dropUsageDatabase } from '../../src/usage/postgres-store';
import {
  activityWorkerSettings,
  createActivityWorkers,
  createWorkflowWorker,
} from '../../src/worker/create-workers';
import { spawnEntryPoint, type SpawnedProcess } from './processes';
import { testTemporal, uniqueTaskQueue } from './temporal';

/** The workflow bundle `npm run build` produced (npm test builds before jest runs). */
export const WORKFLOW_BUNDLE_PATH = path.resolve(
  __dirname,
  '..',
  '..',
  'dist',
  'workflow-bundle.js',
);

/** Options of {@link startTestStack}. */
export interface TestStackOptions {
  /** Extra environment for loadConfig (strings, as in a real environment). */
  env?: Record<string, string>;
  fake?: FakeClaudeOptions;
  /** Start in-process workers right away (default true). */
  workers?: boolean;
  /** Run the Claude activities in this process too (default true); false = spawn your own. */
  inProcessActivities?: boolean;
  /** Another Temporal server than the shared test server (e.g. one the test restarts). */
  temporalAddress?: string;
  /**
   * Where usage is counted: `postgres` (default: a database of its own on the local PostgreSQL,
   * dropped by `close`) or `temporal` (the ledger workflows, as without USAGE_DATABASE_URL).
   */
  usage?: 'postgres' | 'temporal';
  /** The tools the in-process workers offer (default: the shipped registry). */
  tools?: ToolRegistry;
}

/** The local PostgreSQL the tests use (trust auth), without a database. */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** A running test stack. */
export interface TestStack {
  config: AppConfig;
  client: Client;
  apiUrl: string;
  fake: FakeClaudeServer;
  /** The env given to loadConfig, for spawning real worker processes against the same queues. */
  env: Record<string, string>;
  /**
   * gRPC calls the API's client has sent, by method name (e.g. `QueryWorkflow`), counted on the
   * wire by an interceptor of its connection: what the API really asked Temporal.
   */
  grpcCalls(method: string): number;
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

/** Keeps the SDK's worker-state chatter out of test output; warnings and errors still show. */
function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process by an earlier test file: fine.
  }
}

/** Starts a stack on unique task queues so parallel test files never share work. */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  quietTemporalRuntime();
  const fake = await startFakeClaude(options.fake ?? {});
  const usageDatabaseUrl =
    options.usage === 'temporal'
      ? undefined
      : `${TEST_POSTGRES_URL}/af_usage_${randomBytes(6).toString('hex')}`;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    LOG_PRETTY: 'false',
    WORKFLOW_TASK_QUEUE: uniqueTaskQueue('wf'),
    ACTIVITY_TASK_QUEUE: uniqueTaskQueue('claude'),
    TOOL_TASK_QUEUE: uniqueTaskQueue('tools'),
    ANTHROPIC_BASE_URL: fake.url,
    CLAUDE_INITIAL_RETRY_MS: '100',
    CLAUDE_MAX_RETRY_MS: '2000',
    CLAUDE_HEARTBEAT_TIMEOUT_MS: '3000',
    WORKER_SHUTDOWN_GRACE_MS: '2000',
    API_SHUTDOWN_GRACE_MS: '1000',
    // As in a deployment: the API signs its reads of live text, workers check them.
    STREAM_SECRET: randomStreamSecret(),
    // The file transcript store (used without a database) of this stack only.
    TRANSCRIPT_DIR: path.join(tmpdir(), `af-transcripts-${randomBytes(6).toString('hex')}`),
    ...(usageDatabaseUrl ? { USAGE_DATABASE_URL: usageDatabaseUrl } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const logger = pino({ level: 'silent' });
  const temporalAddress = options.temporalAddress ?? testTemporal().address;
  const namespace = testTemporal().namespace;
  // The same data converter as the API and workers of a real deployment: with
  // PAYLOAD_ENCRYPTION_KEYS in `env`, this client and the in-process workers encrypt payloads.
  const dataConverter = createDataConverter(config.payloadEncryption.keyring);
  const grpcCounts = new Map<string, number>();
  const countCalls: NonNullable<ConnectionOptions['interceptors']>[number] = (
    options,
    nextCall,
  ) => {
    const method = options.method_definition.path.split('/').pop() ?? '';
    grpcCounts.set(method, (grpcCounts.get(method) ?? 0) + 1);
    return new InterceptingCall(nextCall(options));
  };
  const connection = await Connection.connect({
    address: temporalAddress,
    // Giving interceptors replaces the SDK's defaults: keep its retry interceptor, as the API has.
    interceptors: [countCalls, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())],
  });
  const client = new Client({ connection, namespace, dataConverter });
  const api: ApiServerHandle = await startApiServer({ client, config, logger });
  // Live text of agent model calls, as an activity worker process serves it to the API.
  const streams = new StreamHub();
  const streamServer = await startStreamServer({
    hub: streams,
    host: '127.0.0.1',
    port: 0,
    ...(config.agent.streamSecret !== undefined ? { secret: config.agent.streamSecret } : {}),
  });

  let nativeConnection: NativeConnection | undefined;
  let usage: UsageWriter | undefined;
  let transcripts: TranscriptStore | undefined;
  let workers: Worker[] = [];
  let running: Promise<unknown> | undefined;

  async function startWorkers(): Promise<void> {
    if (running) return;
    nativeConnection ??= await NativeConnection.connect({ address: temporalAddress });
    const base = {
      connection: nativeConnection,
      namespace,
      shutdownGraceMs: config.worker.shutdownGraceMs,
      dataConverter,
    };
    workers = [
      await createWorkflowWorker({
        ...base,
        taskQueue: config.taskQueues.workflows,
        workflowBundlePath: WORKFLOW_BUNDLE_PATH,
        maxConcurrentWorkflowTasks: config.worker.maxConcurrentWorkflowTasks,
        webhooks: { webhooks: config.webhooks, prices: config.observability.prices },
      }),
    ];
    if (options.inProcessActivities !== false) {
      // The same group-commit writer as an activity-worker process, on the stack's store.
      usage ??= await openUsageWriter({ config, client, logger });
      transcripts ??= await openTranscriptStore(config.transcripts, logger);
      workers.push(
        ...(await createActivityWorkers({
          ...base,
          ...activityWorkerSettings(config),
          anthropic: createAnthropicClient({ baseURL: fake.url, timeoutMs: 30_000 }),
          logger,
          streams,
          usage,
          transcripts,
          ...(options.tools ? { tools: options.tools } : {}),
        })),
      );
    }
    running = Promise.all(workers.map((worker) => worker.run()));
  }

  async function stopWorkers(): Promise<void> {
    if (!running) return;
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    running = undefined;
    workers = [];
    await usage?.close();
    usage = undefined;
    await transcripts?.close();
    transcripts = undefined;
  }

  if (options.workers !== false) await startWorkers();

  return {
    config,
    client,
    apiUrl: api.url,
    fake,
    env,
    grpcCalls: (method) => grpcCounts.get(method) ?? 0,
    startWorkers,
    stopWorkers,
    async close() {
      await stopWorkers();
      await nativeConnection?.close();
      await api.close();
      await streamServer.close();
      if (config.usage.databaseUrl) await dropUsageDatabase(config.usage.databaseUrl);
      await rm(config.transcripts.dir, { recursive: true, force: true });
      // HTTP requests cut off by api.close() may still have a Temporal call waiting to retry
      // (the client retries UNAVAILABLE/RESOURCE_EXHAUSTED with backoff); a retry that fires on a
      // closed channel throws from a timer and would fail the whole test file. Close later, once
      // such retries are over, without keeping the process alive for it.
      setTimeout(() => void connection.close(), 15_000).unref();
      await fake.close();
    },
  };
}

/**
 * Spawns a real activity-worker process on the stack's queues (no metrics or probe ports, so
 * several can run side by side) and resolves once it polls. `env` overrides the stack's settings.
 */
export async function spawnActivityWorker(
  stack: TestStack,
  env: Record<string, string> = {},
): Promise<SpawnedProcess> {
  const worker = spawnEntryPoint('worker', ['--role=activities'], {
    ...process.env,
    ...stack.env,
    LOG_LEVEL: 'info',
    METRICS_PORT: '0',
    WORKER_HEALTH_PORT: '0',
    TEMPORAL_SDK_METRICS_PORT: '0',
    TEMPORAL_ADDRESS: testTemporal().address,
    TEMPORAL_NAMESPACE: testTemporal().namespace,
    ...env,
  });
  await worker.waitForOutput(/worker polling/);
  return worker;
}
