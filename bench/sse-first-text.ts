/**
 * Measures how long after the model's first token the first text reaches an SSE client of
 * `GET /chat/:job_id/events` — through the real path: API → worker identity → the activity
 * worker's stream server → API → client. Everything runs on this machine (a throwaway Temporal
 * dev server, the fake Claude, in-process workers and API), so it measures our overhead, not
 * the network.
 *
 *   npx tsc -p tsconfig.json --noEmit false --outDir dist/sse-bench && \
 *     node dist/sse-bench/bench/sse-first-text.js [--runs=20] [--ttft=800]
 *
 * "Model first token" is taken as the fake's arrival time of the call plus its scripted
 * `ttft_ms` (the fake writes the first delta then); both clocks are this machine's.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createAnthropicClient } from '../src/activities/anthropic-client';
import { loadConfig } from '../src/config';
import { startFakeClaude } from '../src/fake-claude';
import { startApiServer } from '../src/runtime/api-server';
import { randomStreamSecret } from '../src/streaming/stream-auth';
import { StreamHub } from '../src/streaming/stream-hub';
import { startStreamServer } from '../src/streaming/stream-server';
import { startDevServer } from '../src/temporal/dev-server';
import { getFreePort } from '../src/temporal/free-port';
import { ensureTemporalBinary } from '../src/temporal/temporal-binary';
import { openUsageWriter } from '../src/usage';
import { createActivityWorker, createWorkflowWorker } from '../src/worker/create-workers';

async function firstDeltaAt(url: string): Promise<number | undefined> {
  const res = await fetch(url);
  const decoder = new TextDecoder();
  let buffer = '';
  let at: number | undefined;
  // Leaving the loop cancels the response body, which closes the stream.
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    if (buffer.includes('event: delta')) {
      at = Date.now();
      break;
    }
    if (buffer.includes('event: done')) break;
  }
  return at;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '20' }, ttft: { type: 'string', default: '800' } },
  });
  const runs = Number(values.runs);
  const ttftMs = Number(values.ttft);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const projectRoot = process.cwd();
  const binaryPath = await ensureTemporalBinary({ projectRoot, env: process.env, log: () => {} });
  const server = await startDevServer({
    binaryPath,
    port: await getFreePort(),
    uiPort: false,
    reuseExisting: false,
  });
  const fake = await startFakeClaude();
  const config = loadConfig({
    ANTHROPIC_BASE_URL: fake.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    CLAUDE_HEARTBEAT_TIMEOUT_MS: '3000',
    // Signed reads, as deployed: the measured path includes the HMAC on both sides.
    STREAM_SECRET: randomStreamSecret(),
  });
  const logger = pino({ level: 'silent' });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const api = await startApiServer({ client, config, logger });
  const hub = new StreamHub();
  const streamServer = await startStreamServer({
    hub,
    host: '127.0.0.1',
    port: 0,
    secret: config.agent.streamSecret!,
  });
  const native = await NativeConnection.connect({ address: server.address });
  const base = { connection: native, namespace: 'default', shutdownGraceMs: 1_000 };
  const usage = await openUsageWriter({ config, client, logger });
  const workers = [
    await createWorkflowWorker({
      ...base,
      taskQueue: config.taskQueues.workflows,
      maxConcurrentWorkflowTasks: 10,
    }),
    await createActivityWorker({
      ...base,
      taskQueue: config.taskQueues.activities,
      anthropic: createAnthropicClient({ baseURL: fake.url, timeoutMs: 30_000 }),
      logger,
      maxConcurrentClaudeCalls: 10,
      maxResponseChars: config.claude.maxResponseChars,
      streams: hub,
      usage,
    }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  const latencies: number[] = [];
  let missed = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const key = `sse-bench-${Date.now()}-${i}`;
      const res = await fetch(`${api.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          user_id: 'bench',
          tools: true,
          message: `Stream this please [[fake key=${key} ttft_ms=${ttftMs} tps=20]]`,
        }),
      });
      const { job_id: jobId } = (await res.json()) as { job_id: string };
      const deltaAt = await firstDeltaAt(`${api.url}/chat/${jobId}/events`);
      const call = fake.callsForKey(key)[0];
      if (deltaAt === undefined || !call) {
        missed += 1;
        continue;
      }
      latencies.push(deltaAt - (Date.parse(call.at) + ttftMs));
    }
  } finally {
    for (const w of workers) w.shutdown();
    await running;
    await usage.close();
    await native.close();
    await streamServer.close();
    await api.close();
    await connection.close();
    await fake.close();
    await server.stop();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    JSON.stringify(
      {
        runs,
        ttft_ms: ttftMs,
        measured: sorted.length,
        no_live_delta: missed,
        first_text_after_first_token_ms: {
          min: sorted[0],
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          max: sorted[sorted.length - 1],
        },
      },
      null,
      2,
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
