/**
 * MCP tool servers (MCP_SERVERS) on the real stack: a real activity-worker process spawns the
 * stdio test server (src/mcp/test-server.ts) and reaches a streamable-HTTP one
 * (helpers/mcp-http-server.ts), lists their tools at start and offers them to the (fake) model as
 * `<server>__<tool>`; the agent job calls them as runTool activities on the tool queue. Also: MCP
 * error results, cancellation reaching the server, a dead server respawned, and a bad
 * MCP_SERVERS refused at start naming the field.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { isFinished, pollUntil, postJson, requestJson } from './helpers/http';
import { startMcpHttpTestServer, type McpHttpTestServer } from './helpers/mcp-http-server';
import { killAllSpawned, spawnEntryPoint, type SpawnedProcess } from './helpers/processes';
import { spawnActivityWorker, startTestStack, type TestStack } from './helpers/stack';
import { testTemporal } from './helpers/temporal';

const TEST_SERVER = path.resolve(__dirname, '..', 'dist', 'mcp', 'test-server.js');
const eventLog = path.join(tmpdir(), `mcp-test-${randomUUID()}.log`);

let stack: TestStack;
let worker: SpawnedProcess;
let httpServer: McpHttpTestServer;
const httpToken = `Bearer ${randomUUID()}`;

beforeAll(async () => {
  writeFileSync(eventLog, '');
  httpServer = await startMcpHttpTestServer(httpToken);
  const servers = [
    {
      name: 'tests',
      command: process.execPath,
      args: [TEST_SERVER],
      env: { MCP_TEST_LOG: eventLog },
      // One attempt, long enough for the cancellation test's slow call.
      toolPolicies: { slow_echo: { timeoutMs: 300_000, maxAttempts: 1 } },
    },
    { name: 'web', url: httpServer.url, headers: { Authorization: httpToken } },
  ];
  stack = await startTestStack({
    inProcessActivities: false,
    env: { MCP_SERVERS: JSON.stringify(servers) },
  });
  worker = await spawnActivityWorker(stack);
}, 120_000);

afterAll(async () => {
  // A graceful stop closes the MCP connection (the test server exits with it).
  worker.child.kill('SIGTERM');
  await worker.exited();
  killAllSpawned();
  await stack.close();
  await httpServer.close();
});

interface Step {
  type: 'model_call' | 'tool_call';
  name?: string;
  output?: string;
  is_error?: boolean;
}

interface AgentJob {
  job_id: string;
  status: string;
  response?: string;
  steps?: Step[];
}

const submit = (message: string, query = '?wait=60s') =>
  postJson<AgentJob>(`${stack.apiUrl}/chat${query}`, { user_id: 'mcp-user', message, tools: true });

const finished = (jobId: string) =>
  pollUntil<AgentJob>(`${stack.apiUrl}/chat/${jobId}`, (job) => isFinished(job as never), 120_000);

/** Waits (polling, generous deadline) until the test server's event log holds a matching line. */
async function waitForLog(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = readFileSync(eventLog, 'utf8');
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `MCP test server log never matched ${pattern}: ${readFileSync(eventLog, 'utf8')}`,
  );
}

/** Events and workflow tasks of a finished job's history. */
async function historyCost(client: Client, jobId: string) {
  const events = (await client.workflow.getHandle(jobId).fetchHistory()).events ?? [];
  return {
    events: events.length,
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes != null).length,
    scheduled: events
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a != null)
      .map((a) => ({ type: a.activityType?.name, queue: a.taskQueue?.name })),
  };
}

it('offers the MCP tools listed at worker start and feeds a call’s result back to the model', async () => {
  const key = randomUUID();
  const res = await submit(
    `Reverse it [[fake key=${key} tool=tests__reverse_text tool_input={"text":"stressed"}]]`,
  );
  expect(res.body.status).toBe('completed');
  const tool = res.body.steps!.find((s) => s.type === 'tool_call');
  expect(tool).toMatchObject({ name: 'tests__reverse_text', output: 'desserts', is_error: false });
  // The model's second call carried the MCP server's answer.
  expect(res.body.response).toBe('The answer is desserts.');
  // Namespaced beside the built-in tools, in what the worker sent to the model.
  const [first] = stack.fake.callsForKey(key);
  expect(first?.tools).toEqual(
    expect.arrayContaining([
      'calculator',
      'word_count',
      'tests__reverse_text',
      'tests__fail_with',
      'tests__slow_echo',
    ]),
  );
});

it('calls a tool of a streamable-HTTP server, sending its configured headers', async () => {
  const res = await submit('Shout [[fake tool=web__shout tool_input={"text":"hello"}]]');
  expect(res.body.status).toBe('completed');
  expect(res.body.steps!.find((s) => s.type === 'tool_call')).toMatchObject({
    name: 'web__shout',
    output: 'HELLO',
    is_error: false,
  });
  expect(httpServer.refused()).toBe(0);
});

it('costs an MCP tool call exactly what a built-in tool call costs in Temporal units', async () => {
  const mcp = await submit('Reverse [[fake tool=tests__reverse_text tool_input={"text":"abc"}]]');
  const builtIn = await submit('What is 25 * 17?');
  expect([mcp.body.status, builtIn.body.status]).toEqual(['completed', 'completed']);
  const mcpCost = await historyCost(stack.client, mcp.body.job_id);
  const builtInCost = await historyCost(stack.client, builtIn.body.job_id);
  const { activities, tools } = stack.config.taskQueues;
  expect(mcpCost.scheduled).toEqual([
    { type: 'callClaudeAgent', queue: activities },
    { type: 'runTool', queue: tools },
    { type: 'callClaudeAgent', queue: activities },
  ]);
  expect(mcpCost.events).toBe(builtInCost.events);
  expect(mcpCost.workflowTasks).toBe(builtInCost.workflowTasks);
});

it('turns an MCP error result into an is_error tool result, without retrying it', async () => {
  const res = await submit(
    'Fail [[fake tool=tests__fail_with tool_input={"message":"disk-on-fire"}]]',
  );
  expect(res.body.status).toBe('completed');
  const tool = res.body.steps!.find((s) => s.type === 'tool_call');
  expect(tool).toMatchObject({
    name: 'tests__fail_with',
    is_error: true,
    output: 'Error: disk-on-fire',
  });
  expect(res.body.response).toBe('The tests__fail_with tool failed: Error: disk-on-fire.');
  const events = (await stack.client.workflow.getHandle(res.body.job_id).fetchHistory()).events!;
  const starts = events.map((e) => e.activityTaskStartedEventAttributes).filter((a) => a != null);
  // Two model calls and one tool call, each started once.
  expect(starts.map((a) => a.attempt)).toEqual([1, 1, 1]);
});

it('cancels a job during a slow MCP call: the call is aborted on the server', async () => {
  const text = `cancel-${randomUUID().slice(0, 8)}`;
  const res = await submit(
    `Slowly [[fake tool=tests__slow_echo tool_input={"text":"${text}","ms":300000}]]`,
    '',
  );
  expect(res.status).toBe(202);
  await waitForLog(new RegExp(`started slow_echo ${text}`));
  const cancel = await requestJson(`${stack.apiUrl}/chat/${res.body.job_id}`, {
    method: 'DELETE',
  });
  expect([200, 202]).toContain(cancel.status);
  const job = await finished(res.body.job_id);
  expect(job.status).toBe('cancelled');
  // The server heard the cancellation (MCP notifications/cancelled): the call did not run on.
  await waitForLog(new RegExp(`cancelled slow_echo ${text}`));
});

it('spawns a stdio server again after it died, on the next call', async () => {
  const pids = () => [...readFileSync(eventLog, 'utf8').matchAll(/^pid (\d+)$/gm)].map((m) => m[1]);
  const before = pids();
  const current = Number(before.at(-1));
  process.kill(current, 'SIGKILL');
  const res = await submit('Again [[fake tool=tests__reverse_text tool_input={"text":"drawer"}]]');
  expect(res.body.status).toBe('completed');
  expect(res.body.steps!.find((s) => s.type === 'tool_call')).toMatchObject({
    output: 'reward',
    is_error: false,
  });
  expect(pids().length).toBe(before.length + 1);
  expect(pids().at(-1)).not.toBe(String(current));
});

describe('a bad MCP_SERVERS', () => {
  const startWorker = (mcpServers: string) =>
    spawnEntryPoint('worker', ['--role=activities'], {
      ...process.env,
      ...stack.env,
      MCP_SERVERS: mcpServers,
      METRICS_PORT: '0',
      WORKER_HEALTH_PORT: '0',
      TEMPORAL_SDK_METRICS_PORT: '0',
      STREAM_PORT: '0',
      TEMPORAL_ADDRESS: testTemporal().address,
      TEMPORAL_NAMESPACE: testTemporal().namespace,
    });

  it('stops the worker at start, naming the bad fields and never echoing env values', async () => {
    const secret = `s3cret-${randomUUID()}`;
    const bad = startWorker(
      JSON.stringify([
        { name: 'Bad Name', command: 'node', env: { TOKEN: secret } },
        { name: 'web', url: 'ftp://example.com', headers: { Authorization: secret } },
      ]),
    );
    expect((await bad.exited()).code).toBe(1);
    const output = bad.output();
    expect(output).toContain('MCP_SERVERS.0.name');
    expect(output).toContain('MCP_SERVERS.1.url');
    expect(output).not.toContain(secret);
  });

  it('stops the worker at start when a server cannot be reached, naming the server', async () => {
    const bad = startWorker(
      JSON.stringify([{ name: 'ghost', command: path.join(tmpdir(), `no-such-${randomUUID()}`) }]),
    );
    expect((await bad.exited()).code).toBe(1);
    expect(bad.output()).toMatch(/MCP server ghost: cannot connect or list tools/);
  });
});
