/**
 * Long agent runs keep their transcript by reference (docs/transcripts.md): 100 sequential tool
 * calls, each returning 20 KB, on a ~150k-token first message, finish far inside Temporal's
 * history limits; the model receives byte for byte what the inline path sends (prompt-cache
 * markers included); every model call retried after a 500 sends the same request again; both
 * transcript stores (files, PostgreSQL in the stack's throwaway database) serve it.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { z } from 'zod';
import { DEFAULT_TOOLS, createToolRegistry } from '../src/activities/tools/registry';
import { defineTool } from '../src/activities/tools/types';
import { agentJobInput } from '../src/api/job-inputs';
import type { FakeCall } from '../src/fake-claude';
import { AGENT_WORKFLOW_TYPE, DEFAULT_PRIORITY, type AgentJobState } from '../src/shared';
import { postJson, requestJson } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

jest.setTimeout(900_000);

const OUTPUT_CHARS = 20_000;
/** A tool whose output is 20 KB of text, the same for every call. */
const bulkyTool = defineTool({
  name: 'bulky',
  description: 'Returns a long report.',
  inputSchema: z.object({}),
  run: () => 'report line of a bulky tool output; '.repeat(600).slice(0, OUTPUT_CHARS),
});
const registry = createToolRegistry([...DEFAULT_TOOLS, bulkyTool]);

/** About 150k tokens of text (~600 KB), the first message of the long run. */
function bigText(chars: number): string {
  return 'lorem ipsum dolor sit amet consectetur '.repeat(Math.ceil(chars / 39)).slice(0, chars);
}

const stackEnv = {
  AGENT_MAX_STEPS: '101',
  MAX_MESSAGE_CHARS: '700000',
};

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Serialized sizes of a finished workflow's history, as the server stores and limits it. */
interface HistoryFigures {
  events: number;
  workflowTasks: number;
  bytes: number;
  largestEvent: number;
  /** Largest event other than the two that carry the first message (start, call 0). */
  largestGrowingEvent: number;
  /** Bytes of those two events. */
  firstMessageBytes: number;
}

async function historyFigures(stack: TestStack, workflowId: string): Promise<HistoryFigures> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const events = (history.events ?? []) as HistoryEvent[];
  const sizes = events.map(
    (e) => temporal.api.history.v1.HistoryEvent.encode(e as never).finish().length,
  );
  const firstScheduled = events.findIndex((e) => e.activityTaskScheduledEventAttributes);
  return {
    events: events.length,
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    bytes: sizes.reduce((a, b) => a + b, 0),
    largestEvent: Math.max(...sizes),
    largestGrowingEvent: Math.max(...sizes.filter((_, i) => i !== 0 && i !== firstScheduled)),
    firstMessageBytes: (sizes[0] ?? 0) + (sizes[firstScheduled] ?? 0),
  };
}

interface StepView {
  type: string;
  output?: string;
  output_chars?: number;
  truncated?: boolean;
}

/** Submits the long run through the API and waits for it. */
async function longRun(stack: TestStack, toolCalls: number, firstChars: number) {
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'long-run-user',
    tools: true,
    message: `${bigText(firstChars)} [[fake tool=bulky tool_calls=${toolCalls}]]`,
  });
  expect(res.status).toBe(202);
  const jobId = res.body.job_id;
  await stack.client.workflow.getHandle(jobId).result();
  const view = await requestJson<{ status: string; steps: StepView[] }>(
    `${stack.apiUrl}/chat/${jobId}`,
  );
  return { jobId, view: view.body, figures: await historyFigures(stack, jobId) };
}

/** Starts an agent job directly, inline (`ref` false: as jobs before) or by reference. */
async function startDirect(stack: TestStack, message: string, ref: boolean): Promise<string> {
  const jobId = randomUUID();
  const input = agentJobInput(
    {
      jobId,
      userId: 'long-run-user',
      message,
      priority: DEFAULT_PRIORITY,
      submittedAt: new Date().toISOString(),
      model: stack.config.claude.model,
    },
    stack.config,
    registry,
  );
  if (ref) input.transcript = { store: 'ref' };
  else delete input.transcript;
  await stack.client.workflow.execute(AGENT_WORKFLOW_TYPE, {
    taskQueue: stack.config.taskQueues.workflows,
    workflowId: jobId,
    args: [input],
  });
  return jobId;
}

/** The request digests of these calls. */
const digests = (calls: FakeCall[]) => calls.map((c) => c.request);

function report(label: string, steps: number, f: HistoryFigures): void {
  const fixed = f.firstMessageBytes;
  // The figures behind the report and BENCHMARKS.md (printed, never asserted on timing).
  console.log(
    `${label}: ${f.events} events, ${f.workflowTasks} WFTs, ${(f.bytes / 1e6).toFixed(2)} MB ` +
      `history, ${Math.round((f.bytes - fixed) / steps)} B per step beyond the first message, ` +
      `largest event ${Math.round(f.largestEvent / 1e3)} KB, largest growing event ` +
      `${Math.round(f.largestGrowingEvent / 1e3)} KB`,
  );
}

describe('file transcript store (no database)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      usage: 'temporal',
      tools: registry,
      // Without a database, by reference only when asked for (one machine: files).
      env: { ...stackEnv, TRANSCRIPT_BY_REFERENCE: 'true' },
      fake: { recordRequests: true },
    });
    expect(stack.config.transcripts.databaseUrl).toBeUndefined();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('runs 100 tool calls of 20 KB on a 600 KB message far inside the history limits', async () => {
    const { view, figures } = await longRun(stack, 100, 600_000);
    expect(view.status).toBe('completed');
    const tools = view.steps.filter((s) => s.type === 'tool_call');
    expect(tools).toHaveLength(100);
    expect(view.steps.filter((s) => s.type === 'model_call')).toHaveLength(101);
    for (const tool of tools) {
      expect(tool).toMatchObject({ truncated: true, output_chars: OUTPUT_CHARS });
      expect(tool.output!.length).toBeLessThanOrEqual(513);
    }
    // The model got every full output: its last request carries the whole transcript.
    const last = stack.fake.calls().at(-1)!.request!;
    expect(last.messages).toBe(201);
    expect(last.bytes).toBeGreaterThan(600_000 + 100 * OUTPUT_CHARS);
    report('long run by reference (file store)', 100, figures);
    // Inline, this run's model-call inputs alone would be 100 × 0.6–2.6 MB ≈ 160 MB.
    expect(figures.bytes).toBeLessThan(5_000_000);
    // The largest is the job's result (its steps with previews); the first message aside.
    expect(figures.largestGrowingEvent).toBeLessThan(256_000);
    expect(figures.largestEvent).toBeLessThan(1_000_000);
    // 12 events per step (model call and tool call, each 3 + a workflow task's 3), as inline:
    // far under 51,200.
    expect(figures.events).toBeLessThan(1_300);
  });

  it('sends the model byte-identical requests, cache markers included, as the inline path', async () => {
    const message = `${bigText(60_000)} [[fake tool=bulky tool_calls=8]]`;
    const before = stack.fake.calls().length;
    const inlineJob = await startDirect(stack, message, false);
    const middle = stack.fake.calls().length;
    const refJob = await startDirect(stack, message, true);
    const inline = digests(stack.fake.calls().slice(before, middle));
    const byRef = digests(stack.fake.calls().slice(middle));
    expect(inline).toHaveLength(9);
    expect(byRef).toEqual(inline);
    // System prompt or tools, and the last block: the prompt-cache breakpoints.
    for (const d of byRef) expect(d!.cacheControls).toBeGreaterThanOrEqual(2);
    const a = await historyFigures(stack, inlineJob);
    const b = await historyFigures(stack, refJob);
    report('8 tool calls inline', 8, a);
    report('8 tool calls by reference', 8, b);
    // The reference replaces the inline payload: the same events and workflow tasks, fewer bytes.
    expect(b.events).toBe(a.events);
    expect(b.workflowTasks).toBe(a.workflowTasks);
    expect(b.bytes).toBeLessThan(a.bytes / 3);
  });
});

describe('PostgreSQL transcript store', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // Every model call's first attempt fails with a 500: each call is retried once.
    stack = await startTestStack({
      tools: registry,
      env: stackEnv,
      fake: { recordRequests: true, failures: '500' },
    });
    expect(stack.config.transcripts.databaseUrl).toBeDefined();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('retries model calls with the same request, never duplicating a transcript entry', async () => {
    const before = stack.fake.calls().length;
    const { jobId, view, figures } = await longRun(stack, 30, 100_000);
    expect(view.status).toBe('completed');
    const calls = stack.fake.calls().slice(before);
    const byKey = new Map<string, FakeCall[]>();
    for (const c of calls) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
    // 31 model calls, each a 500 then a success with the identical body.
    expect(byKey.size).toBe(31);
    for (const attempts of byKey.values()) {
      expect(attempts.map((c) => c.status)).toEqual([500, 200]);
      expect(attempts[1]!.request!.sha256).toBe(attempts[0]!.request!.sha256);
    }
    const db = new pg.Client({ connectionString: stack.config.transcripts.databaseUrl });
    await db.connect();
    try {
      const entries = await db.query<{ n: string; max: number }>(
        'SELECT count(*) AS n, max(seq) AS max FROM transcript_entries WHERE job_id = $1',
        [jobId],
      );
      expect(entries.rows[0]).toEqual({ n: '31', max: 30 });
      const outputs = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM transcript_tool_outputs WHERE job_id = $1',
        [jobId],
      );
      expect(outputs.rows[0]!.n).toBe('30');
    } finally {
      await db.end();
    }
    report('30 tool calls by reference (PostgreSQL, every call retried)', 30, figures);
    expect(figures.largestGrowingEvent).toBeLessThan(64_000);
  });

  it('keeps plain chat jobs as they were', async () => {
    const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
      user_id: 'long-run-user',
      message: 'Hello there',
    });
    const handle = stack.client.workflow.getHandle(res.body.job_id);
    const state = (await handle.result()) as AgentJobState;
    expect(state.status).toBe('completed');
    const figures = await historyFigures(stack, res.body.job_id);
    expect(figures.events).toBe(11);
    expect(figures.workflowTasks).toBe(2);
  });
});
