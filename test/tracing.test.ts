/**
 * Opt-in tracing end to end with real processes: with OTEL_EXPORTER_OTLP_ENDPOINT set, one trace
 * runs from the HTTP request (API) through the workflow (workflow worker) and the activity
 * (activity worker) to the Claude call. A small OTLP/HTTP (JSON) receiver in the test collects the
 * spans the three processes export.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeClaude, type FakeClaudeServer } from '../src/fake-claude';
import { getFreePort } from '../src/temporal/free-port';
import { isFinished, pollUntil, postJson, type JobBody } from './helpers/http';
import { killAllSpawned, spawnEntryPoint } from './helpers/processes';
import { testTemporal, uniqueTaskQueue } from './helpers/temporal';

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

const spans: ReceivedSpan[] = [];
let receiver: Server;
let fake: FakeClaudeServer;

/** Accepts OTLP/HTTP JSON exports (`POST /v1/traces`) and keeps the spans. */
function startReceiver(): Promise<string> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: {
          resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
          scopeSpans?: { spans?: Omit<ReceivedSpan, 'service'>[] }[];
        }[];
      };
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service =
          resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value
            .stringValue ?? '?';
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) spans.push({ ...span, service });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => {
    receiver.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}`),
    );
  });
}

beforeAll(async () => {
  fake = await startFakeClaude();
});

afterAll(async () => {
  killAllSpawned();
  await fake.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

it('links HTTP request, workflow, activity and Claude call in one trace across three processes', async () => {
  const endpoint = await startReceiver();
  const apiPort = await getFreePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: testTemporal().address,
    TEMPORAL_NAMESPACE: testTemporal().namespace,
    ANTHROPIC_BASE_URL: fake.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    WORKFLOW_TASK_QUEUE: uniqueTaskQueue('trace-wf'),
    ACTIVITY_TASK_QUEUE: uniqueTaskQueue('trace-claude'),
    TOOL_TASK_QUEUE: uniqueTaskQueue('trace-tools'),
    METRICS_PORT: '0',
    TEMPORAL_SDK_METRICS_PORT: '0',
    WORKER_HEALTH_PORT: '0',
    QUEUE_METRICS_INTERVAL_MS: '0',
  };
  const processes = [
    spawnEntryPoint('worker', ['--role=workflows'], env),
    spawnEntryPoint('worker', ['--role=activities'], env),
    spawnEntryPoint('api', [], env),
  ];
  await Promise.all([
    processes[0]!.waitForOutput(/worker polling/),
    processes[1]!.waitForOutput(/worker polling/),
    processes[2]!.waitForOutput(/API listening/),
  ]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const res = await postJson<{ job_id: string }>(`${apiUrl}/chat`, {
    user_id: 'tracer',
    message: 'What is 25 * 17?',
  });
  expect(res.status).toBe(202);
  const job = await pollUntil<JobBody>(`${apiUrl}/chat/${res.body.job_id}`, isFinished, 60_000);
  expect(job.response).toContain('425');

  // Spans are exported in batches (every 500 ms); wait until the whole chain has arrived.
  const wanted = [
    'HTTP POST /chat',
    'StartWorkflow:chatWorkflow',
    'RunWorkflow:chatWorkflow',
    'RunActivity:callClaude',
    'claude.messages.stream',
  ];
  const deadline = Date.now() + 30_000;
  let trace: ReceivedSpan[] = [];
  while (Date.now() < deadline) {
    const root = spans.find((span) => span.name === 'HTTP POST /chat');
    trace = root ? spans.filter((span) => span.traceId === root.traceId) : [];
    if (wanted.every((name) => trace.some((span) => span.name === name))) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(trace.map((span) => span.name)).toEqual(expect.arrayContaining(wanted));
  const services = new Set(trace.map((span) => span.service));
  expect([...services].sort()).toEqual(
    expect.arrayContaining([
      'agent-fleet-api',
      'agent-fleet-worker-activities',
      'agent-fleet-worker-workflows',
    ]),
  );
  // The Claude call is a child of the activity's span, not a trace of its own.
  const activity = trace.find((span) => span.name === 'RunActivity:callClaude')!;
  const claude = trace.find((span) => span.name === 'claude.messages.stream')!;
  expect(claude.parentSpanId).toBe(activity.spanId);
});
