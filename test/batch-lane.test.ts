/**
 * The Message Batches lane on the real stack (real Temporal, real HTTP, the fake's Batches API):
 * many batch jobs across two models gathered into few batches at half the interactive cost, an
 * errored request retried in a later batch, a final error, an expired request falling back to
 * the interactive lane, cancelling before and after the batch is sent, an agent job's tool loop,
 * a worker restart between create and results — and the Temporal cost of each batch job and of
 * the collector, measured on their histories.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { estimateCostUsd } from '../src/observability/price-table';
import { batchCollectorWorkflowId } from '../src/shared';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

// Unique model names per run (priced by prefix): the collectors' ids are per model.
const suffix = randomBytes(3).toString('hex');
const MODEL_A = `claude-sonnet-4-6-t${suffix}`;
const MODEL_B = `claude-haiku-4-5-t${suffix}`;
const MODEL_C = `claude-opus-4-5-t${suffix}`;
const JOBS_PER_MODEL = 50;
const MAX_REQUESTS = 60;

interface BatchJob extends JobBody {
  lane?: string;
  model?: string;
  cost_usd?: number;
  batch?: { id?: string; status: string; submitted_at?: string };
  steps?: { type: string; name?: string; output?: string }[];
  usage?: { input_tokens: number; output_tokens: number };
}

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    env: {
      CLAUDE_MODEL: MODEL_A,
      ALLOWED_MODELS: `${MODEL_A},${MODEL_B},${MODEL_C}`,
      BATCH_MAX_REQUESTS: String(MAX_REQUESTS),
      // Long enough for 100 submissions on a loaded machine to fall into one window per model.
      BATCH_MAX_WAIT_MS: '10000',
      BATCH_POLL_INITIAL_MS: '100',
      BATCH_POLL_MAX_MS: '500',
      CANCEL_WAIT_MS: '500',
      USER_MAX_ACTIVE_JOBS: '0',
      // The machine is shared: let submissions wait for a start slot rather than be refused.
      START_LIMIT_MAX_WAIT_MS: '1000',
      TEMPORAL_RPC_TIMEOUT_MS: '30000',
    },
  });
});

afterAll(async () => {
  await stack.close();
});

/** Submits a batch job; a `503 overloaded` (the start limit of a loaded machine) is retried. */
async function submit(body: Record<string, unknown>) {
  for (let tries = 1; ; tries++) {
    const res = await postJson<BatchJob>(`${stack.apiUrl}/chat`, {
      user_id: 'batch-user',
      lane: 'batch',
      ...body,
    });
    if (res.status !== 503 || tries >= 20) return res;
    await new Promise((resolve) => setTimeout(resolve, 250 * tries));
  }
}

const finished = (jobId: string, timeoutMs = 120_000) =>
  pollUntil<BatchJob>(`${stack.apiUrl}/chat/${jobId}`, (job) => isFinished(job), timeoutMs, 200);

/** Events and workflow tasks of a closed workflow's history. */
async function historyCost(workflowId: string): Promise<{ events: number; wfts: number }> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  return {
    events: events.length,
    wfts: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
  };
}

/** Batches the fake received that hold a request of `model`. */
const batchesOf = (model: string) => stack.fake.batches().filter((b) => b.models.includes(model));

it('gathers batch jobs of two models into at most 2 batches per model, at half the price', async () => {
  const user = `bulk-${randomUUID().slice(0, 8)}`;
  const submitted: Awaited<ReturnType<typeof submit>>[] = [];
  // Five at a time: the start limit of a loaded test machine would refuse a burst of 100.
  for (let first = 0; first < JOBS_PER_MODEL * 2; first += 5) {
    submitted.push(
      ...(await Promise.all(
        Array.from({ length: 5 }, (_, k) =>
          submit({
            user_id: user,
            model: (first + k) % 2 === 0 ? MODEL_A : MODEL_B,
            message: `Batch job number ${first + k} says hello`,
          }),
        ),
      )),
    );
  }
  expect(submitted.filter((res) => res.status !== 202).map((res) => res.body)).toEqual([]);
  // A waiting job shows its lane.
  const waiting = await requestJson<BatchJob>(`${stack.apiUrl}/chat/${submitted[0]!.body.job_id}`);
  expect(waiting.body.lane).toBe('batch');

  const jobs = await Promise.all(submitted.map((res) => finished(res.body.job_id)));
  for (const [i, job] of jobs.entries()) {
    expect(job.status).toBe('completed');
    expect(job.lane).toBe('batch');
    expect(job.response).toContain(`Batch job number ${i} says hello`);
    expect(job.batch?.status).toBe('ended');
    // Each job answered once, by a batch.
    const calls = stack.fake.callsMatching(`Batch job number ${i} says hello`);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.batch).toBe(job.batch?.id);
    const full = estimateCostUsd(stack.config.observability.prices, job.model!, job.usage!);
    expect(job.cost_usd).toBeCloseTo(full! / 2, 12);
  }
  expect(batchesOf(MODEL_A).length).toBeGreaterThanOrEqual(1);
  expect(batchesOf(MODEL_A).length).toBeLessThanOrEqual(2);
  expect(batchesOf(MODEL_B).length).toBeGreaterThanOrEqual(1);
  expect(batchesOf(MODEL_B).length).toBeLessThanOrEqual(2);

  // The same message interactively costs twice as much.
  const interactive = await postJson<BatchJob>(`${stack.apiUrl}/chat`, {
    user_id: user,
    model: MODEL_A,
    message: 'Batch job number 0 says hello',
  });
  const plain = await finished(interactive.body.job_id);
  expect(plain.status).toBe('completed');
  expect(plain.lane).toBeUndefined();
  expect(plain.usage).toEqual(jobs[0]!.usage);
  expect(plain.cost_usd).toBeCloseTo(2 * jobs[0]!.cost_usd!, 12);

  // The usage ledger counts every batch job's call once.
  const usage = await pollUntil<{ model_calls: number; jobs: number }>(
    `${stack.apiUrl}/users/${user}/usage`,
    (u) => u.model_calls === JOBS_PER_MODEL * 2 + 1,
  );
  expect(usage.jobs).toBe(JOBS_PER_MODEL * 2 + 1);

  // Temporal cost of a batch job, and of each collector per batch.
  const perJob = await historyCost(jobs[1]!.job_id);
  const interactiveCost = await historyCost(plain.job_id);
  const collector = await historyCost(batchCollectorWorkflowId(MODEL_A)).catch(() => undefined);
  console.log(
    JSON.stringify({
      batchJob: perJob,
      interactiveJob: interactiveCost,
      collectorA: collector,
      batchesA: batchesOf(MODEL_A).length,
      batchesB: batchesOf(MODEL_B).length,
      usage: jobs[0]!.usage,
      batchCost: jobs[0]!.cost_usd,
      interactiveCost: plain.cost_usd,
    }),
  );
  expect(perJob.events).toBeLessThanOrEqual(9);
  expect(perJob.wfts).toBeLessThanOrEqual(2);
  expect(interactiveCost).toEqual({ events: 11, wfts: 2 });
}, 300_000);

it('sends an errored request again in a later batch, and fails a job on a final error', async () => {
  const retried = await submit({ message: `Retry me please [[fake fail=500]]` });
  const final = await submit({ message: `Refuse me please [[fake fail=400]]` });
  const job = await finished(retried.body.job_id);
  expect(job.status).toBe('completed');
  const calls = stack.fake.callsMatching('Retry me please');
  expect(calls).toHaveLength(2);
  expect(calls[0]!.status).toBe(500);
  expect(calls[1]!.batch).not.toBe(calls[0]!.batch);
  expect(job.batch?.id).toBe(calls[1]!.batch);

  const refused = await finished(final.body.job_id);
  expect(refused.status).toBe('failed');
  expect(refused.error?.type).toBe('ClaudeInvalidRequest');
  expect(stack.fake.callsMatching('Refuse me please')).toHaveLength(1);
}, 180_000);

it('moves an expired request to the interactive lane, at the interactive price', async () => {
  const res = await submit({ message: 'Expire me please [[fake batch_expired=1]]' });
  const job = await finished(res.body.job_id);
  expect(job.status).toBe('completed');
  expect(job.lane).toBe('batch');
  expect(job.batch).toBeUndefined();
  const calls = stack.fake.callsMatching('Expire me please');
  expect(calls.map((c) => c.batch !== undefined)).toEqual([true, false]);
  const full = estimateCostUsd(stack.config.observability.prices, job.model!, job.usage!);
  expect(job.cost_usd).toBeCloseTo(full!, 12);
}, 180_000);

it('runs an agent job in the batch lane: each model step a batch request, tools as usual', async () => {
  const key = randomUUID();
  const res = await submit({ message: `What is 25 * 17? [[fake key=${key}]]`, tools: true });
  expect(res.status).toBe(202);
  const job = await finished(res.body.job_id);
  expect(job.status).toBe('completed');
  expect(job.response).toBe('The answer is 425.');
  expect(job.steps?.map((s) => s.type)).toEqual(['model_call', 'tool_call', 'model_call']);
  expect(job.steps?.[1]?.output).toBe('425');
  // A batch request's custom_id is its job id.
  const calls = stack.fake.calls().filter((c) => c.customId === job.job_id);
  expect(calls).toHaveLength(2);
  for (const call of calls) expect(call.batch).toBeDefined();
  expect(new Set(calls.map((c) => c.batch)).size).toBe(2);
  const cost = await historyCost(job.job_id);
  console.log(JSON.stringify({ agentBatchJob: cost }));
}, 180_000);

it('cancels a job after its batch was sent: the batch is cancelled when all its jobs are', async () => {
  const res = await submit({ model: MODEL_C, message: 'Cancel me late [[fake batch_ms=600000]]' });
  const jobUrl = `${stack.apiUrl}/chat/${res.body.job_id}`;
  const waiting = await pollUntil<BatchJob>(jobUrl, (job) => job.batch?.status === 'in_progress');
  expect(waiting.batch?.id).toMatch(/^msgbatch_/);
  const cancel = await requestJson<BatchJob>(jobUrl, { method: 'DELETE' });
  expect([200, 202]).toContain(cancel.status);
  expect((await finished(res.body.job_id)).status).toBe('cancelled');
  const deadline = Date.now() + 60_000;
  while (!stack.fake.batches().find((b) => b.id === waiting.batch?.id)?.cancelled) {
    if (Date.now() > deadline) throw new Error('the batch was never cancelled');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 180_000);

it('discards the result of a cancelled job whose batch goes on for others', async () => {
  const keep = await submit({ model: MODEL_B, message: 'Keep me [[fake batch_ms=3000]]' });
  const drop = await submit({ model: MODEL_B, message: 'Drop me after sending' });
  const dropUrl = `${stack.apiUrl}/chat/${drop.body.job_id}`;
  await pollUntil<BatchJob>(dropUrl, (job) => job.batch?.status === 'in_progress');
  await requestJson(dropUrl, { method: 'DELETE' });
  expect((await finished(drop.body.job_id)).status).toBe('cancelled');
  const kept = await finished(keep.body.job_id);
  expect(kept.status).toBe('completed');
  expect((await requestJson<BatchJob>(dropUrl)).body.status).toBe('cancelled');
  // It was sent (and answered) with the other, its answer dropped.
  expect(stack.fake.callsMatching('Drop me after sending')).toHaveLength(1);
}, 180_000);

it('removes a job cancelled before its batch is sent', async () => {
  await stack.stopWorkers();
  const early = await submit({ model: MODEL_C, message: 'Cancel me early' });
  const url = `${stack.apiUrl}/chat/${early.body.job_id}`;
  const cancel = await requestJson(url, { method: 'DELETE' });
  expect([200, 202]).toContain(cancel.status);
  const other = await submit({ model: MODEL_C, message: 'Send me instead' });
  await stack.startWorkers();
  expect((await finished(early.body.job_id)).status).toBe('cancelled');
  expect((await finished(other.body.job_id)).status).toBe('completed');
  expect(stack.fake.callsMatching('Cancel me early')).toHaveLength(0);
}, 180_000);

it('loses nothing when the workers restart between create and results', async () => {
  const submitted = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      submit({ model: MODEL_B, message: `Restart survivor ${i} [[fake batch_ms=2500]]` }),
    ),
  );
  await pollUntil<BatchJob>(
    `${stack.apiUrl}/chat/${submitted[0]!.body.job_id}`,
    (job) => job.batch?.status === 'in_progress',
    150_000,
  );
  await stack.stopWorkers();
  await stack.startWorkers();
  const jobs = await Promise.all(submitted.map((res) => finished(res.body.job_id)));
  for (const [i, job] of jobs.entries()) {
    expect(job.status).toBe('completed');
    expect(stack.fake.calls().filter((c) => c.customId === job.job_id)).toHaveLength(1);
    expect(job.response).toContain(`Restart survivor ${i}`);
  }
}, 300_000);

it('validates the lane', async () => {
  const bad = await submit({ message: 'hi', lane: 'overnight' });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain('lane');
  const turn = await submit({ message: 'hi', conversation_id: 'c1' });
  expect(turn.status).toBe(400);
  expect(JSON.stringify(turn.body)).toContain('lane');
});
