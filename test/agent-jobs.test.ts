/**
 * Agent jobs on the real stack: the tool loop (each tool its own activity), unknown tools and bad
 * arguments, tools on their own task queue, `POST /chat?wait=`, per-user usage totals (agent and
 * plain chat jobs, each counted once, in PostgreSQL as soon as each job reads completed), and the
 * SSE event stream with resume. The Temporal-ledger fallback is tested in usage-ledger.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { isFinished, pollUntil, postJson, requestJson } from './helpers/http';
import { readEvents } from './helpers/sse';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack.close();
});

interface Step {
  type: 'model_call' | 'tool_call';
  call: number;
  name?: string;
  input?: unknown;
  output?: string;
  is_error?: boolean;
  duration_ms: number;
  text?: string;
  usage?: { input_tokens: number; output_tokens: number };
  stop_reason?: string | null;
}

interface AgentJob {
  job_id: string;
  status: string;
  response?: string;
  steps?: Step[];
  usage?: { input_tokens: number; output_tokens: number };
  cost_usd?: number;
}

async function submit(
  body: Record<string, unknown>,
  query = '',
): Promise<{ status: number; body: AgentJob }> {
  return postJson<AgentJob>(`${stack.apiUrl}/chat${query}`, { user_id: 'agent-user', ...body });
}

const finished = (jobId: string) =>
  pollUntil<AgentJob>(`${stack.apiUrl}/chat/${jobId}`, (job) => isFinished(job as never));

it('answers "What is 25 * 17?" through a real calculator tool call, visible in GET', async () => {
  const key = randomUUID();
  const res = await submit({ message: `What is 25 * 17? [[fake key=${key}]]`, tools: true });
  expect(res.status).toBe(202);
  const job = await finished(res.body.job_id);
  expect(job.status).toBe('completed');
  expect(job.response).toBe('The answer is 425.');
  expect(job.steps?.map((s) => s.type)).toEqual(['model_call', 'tool_call', 'model_call']);
  const [first, tool, last] = job.steps!;
  expect(first).toMatchObject({ type: 'model_call', call: 0, stop_reason: 'tool_use' });
  expect(tool).toMatchObject({
    type: 'tool_call',
    call: 0,
    name: 'calculator',
    input: { expression: '25 * 17' },
    output: '425',
    is_error: false,
  });
  expect(tool!.duration_ms).toBeGreaterThanOrEqual(0);
  expect(last).toMatchObject({ type: 'model_call', call: 1, stop_reason: 'end_turn' });
  // The tool really ran: the model's second call carried its result.
  expect(stack.fake.callsForKey(key).map((c) => c.outcome)).toEqual(['tool_use']);
  expect(job.usage!.input_tokens).toBe(first!.usage!.input_tokens + last!.usage!.input_tokens);
  expect(job.cost_usd).toBeGreaterThan(0);
});

it('answers an unknown tool with an error result to the model; the job completes', async () => {
  const res = await submit({ message: 'Beam me up [[fake tool=teleport]]', tools: true });
  const job = await finished(res.body.job_id);
  expect(job.status).toBe('completed');
  const tool = job.steps!.find((s) => s.type === 'tool_call')!;
  expect(tool).toMatchObject({ name: 'teleport', is_error: true });
  expect(tool.output).toMatch(/Unknown tool "teleport".*calculator/);
  expect(job.response).toMatch(/^The teleport tool failed: Unknown tool/);
});

it('answers arguments failing the tool schema, and tool errors, with error results', async () => {
  const bad = await submit({
    message: 'Compute [[fake tool=calculator tool_input={"expr":"1+1"}]]',
    tools: true,
  });
  const divide = await submit({
    message: 'Divide [[fake tool=calculator tool_input={"expression":"1/0"}]]',
    tools: true,
  });
  const badJob = await finished(bad.body.job_id);
  expect(badJob.status).toBe('completed');
  const badTool = badJob.steps!.find((s) => s.type === 'tool_call')!;
  expect(badTool.is_error).toBe(true);
  expect(badTool.output).toMatch(/^Invalid input for calculator: expression: /);
  const divideJob = await finished(divide.body.job_id);
  const divideTool = divideJob.steps!.find((s) => s.type === 'tool_call')!;
  expect(divideTool).toMatchObject({ is_error: true, output: 'Error: division by zero' });
  expect(divideJob.response).toBe('The calculator tool failed: Error: division by zero.');
});

describe('POST /chat?wait=', () => {
  it('returns 200 with the finished job when it finishes within the wait', async () => {
    const res = await submit({ message: 'What is 6 * 7?', tools: true }, '?wait=10s');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('completed');
    expect(res.body.response).toBe('The answer is 42.');
    expect(res.body.steps).toHaveLength(3);
    // A plain chat job waits the same way.
    const plain = await submit({ message: 'What is 2 + 2?' }, '?wait=10000ms');
    expect(plain.status).toBe(200);
    expect(plain.body.response).toBe('2 + 2 = 4');
  });

  it('returns the usual 202 when the job is still running at the end of the wait', async () => {
    const res = await submit(
      { message: 'Slowly [[fake latency_ms=3000]]', tools: true },
      '?wait=0.3',
    );
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('queued');
    await finished(res.body.job_id);
  });

  it('400 naming wait for a malformed duration', async () => {
    const res = await postJson<{ details: { field: string }[] }>(`${stack.apiUrl}/chat?wait=soon`, {
      user_id: 'agent-user',
      message: 'hi',
    });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d) => d.field)).toEqual(['wait']);
  });
});

it('keeps per-user usage totals of agent and plain chat jobs that match the tokens the model reported', async () => {
  const user = `usage-${randomUUID().slice(0, 8)}`;
  stack.fake.reset();
  const jobs = await Promise.all([
    ...['What is 3 * 3?', 'Hello there', 'What is 10 - 4?'].map((message) =>
      postJson<AgentJob>(`${stack.apiUrl}/chat?wait=20s`, { user_id: user, message, tools: true }),
    ),
    // Plain chat jobs (no tools): one model call each, recorded by the activity like agent calls.
    ...['What is 6 * 7?', 'Tell me a story'].map((message) =>
      postJson<AgentJob>(`${stack.apiUrl}/chat?wait=20s`, { user_id: user, message }),
    ),
  ]);
  for (const job of jobs) expect(job.body.status).toBe('completed');
  const calls = stack.fake.calls();
  const expected = {
    input_tokens: calls.reduce((sum, c) => sum + c.inputTokens, 0),
    output_tokens: calls.reduce((sum, c) => sum + c.outputTokens, 0),
  };
  // Every call committed its usage before its activity completed: read at once, no polling.
  const { body: usage } = await requestJson<{
    jobs: number;
    model_calls: number;
    input_tokens: number;
    output_tokens: number;
    cost_usd: number;
  }>(`${stack.apiUrl}/users/${user}/usage`);
  expect(usage).toMatchObject({ jobs: 5, model_calls: calls.length, ...expected });
  expect(usage.cost_usd).toBeGreaterThan(0);
  // Each job's own usage is the sum of its calls.
  const perJob = jobs.reduce((sum, job) => sum + job.body.usage!.output_tokens, 0);
  expect(perJob).toBe(expected.output_tokens);
  const unknown = await requestJson<{ jobs: number }>(`${stack.apiUrl}/users/nobody-${user}/usage`);
  expect(unknown.body.jobs).toBe(0);
});

it('runs tool calls on their own task queue, apart from the model calls', async () => {
  const res = await submit({ message: 'What is 12 * 12?', tools: true }, '?wait=20s');
  expect(res.body.status).toBe('completed');
  const history = await stack.client.workflow.getHandle(res.body.job_id).fetchHistory();
  const scheduled = (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a != null)
    .map((a) => ({ type: a.activityType?.name, queue: a.taskQueue?.name }));
  const { activities, tools } = stack.config.taskQueues;
  expect(tools).not.toBe(activities);
  expect(scheduled).toEqual([
    { type: 'callClaudeAgent', queue: activities },
    { type: 'runTool', queue: tools },
    { type: 'callClaudeAgent', queue: activities },
  ]);
});

describe('GET /chat/:job_id/events', () => {
  it('streams a plain chat job (no tools) live too, in pieces, ending with its full reply', async () => {
    const res = await submit({
      message: 'Please stream this plain chat job as it is written [[fake tps=15 ttft_ms=200]]',
    });
    const events = await readEvents(`${stack.apiUrl}/chat/${res.body.job_id}/events`);
    const done = events[events.length - 1]!;
    expect(done.event).toBe('done');
    const response = (done.data as unknown as AgentJob).response!;
    expect(response).toMatch(/^You said: "Please stream this plain chat job/);
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((e) => e.data.text).join('')).toBe(response);
  });

  it('streams status changes and text deltas in order, and resumes from Last-Event-ID', async () => {
    const res = await submit({
      message: 'Please tell me something long enough to stream [[fake tps=15 ttft_ms=200]]',
      tools: true,
    });
    const url = `${stack.apiUrl}/chat/${res.body.job_id}/events`;
    const events = await readEvents(url);
    const done = events[events.length - 1]!;
    expect(done.event).toBe('done');
    const response = (done.data as unknown as AgentJob).response!;
    expect(response).toMatch(/^You said: "Please tell me something long enough to stream"/);
    const statuses = events.filter((e) => e.event === 'status').map((e) => e.data.status);
    expect(statuses[statuses.length - 1]).toBe('completed');
    const deltas = events.filter((e) => e.event === 'delta');
    // Streamed in pieces as generated, not as one block at the end.
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((e) => e.data.text).join('')).toBe(response);
    const offsets = deltas.map((e) => Number(e.id.split('.')[1]));
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
    expect(offsets[offsets.length - 1]).toBe(response.length);

    // Resume after the second delta: exactly the rest of the text, then done.
    const resumeFrom = deltas[1]!.id;
    const resumed = await readEvents(url, { 'Last-Event-ID': resumeFrom });
    const rest = resumed
      .filter((e) => e.event === 'delta')
      .map((e) => e.data.text)
      .join('');
    expect(rest).toBe(response.slice(Number(resumeFrom.split('.')[1])));
    expect(resumed[resumed.length - 1]!.event).toBe('done');
  });

  it('400 naming Last-Event-ID when it is not one of ours; 404 for an unknown job', async () => {
    const bad = await requestJson<{ details: { field: string }[] }>(
      `${stack.apiUrl}/chat/${randomUUID()}/events`,
      { headers: { 'Last-Event-ID': 'yesterday' } },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d) => d.field)).toEqual(['Last-Event-ID']);
    const missing = await requestJson(`${stack.apiUrl}/chat/${randomUUID()}/events`);
    expect(missing.status).toBe(404);
  });
});
