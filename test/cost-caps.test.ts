/**
 * Cost caps on the real stack: an agent job's `max_cost_usd` stops it before a model call whose
 * worst case would pass the cap (completed with `stop_reason: "cost_cap"` and its text so far, or
 * failed `CostCapExceeded` when the very first call could pass it), and the per-user daily dollar
 * budget refuses the next job with 429 and Retry-After until midnight UTC.
 */
import { randomUUID } from 'node:crypto';
import { isFinished, pollUntil, postJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

interface CappedJob extends JobBody {
  stop_reason?: string | null;
  steps?: { type: string; call: number }[];
  cost_usd?: number;
}

let stack: TestStack;

beforeAll(async () => {
  // claude-sonnet-4-6 at the built-in $3 / $15 per million tokens. The daily dollar budget is
  // so small that one job spends it; no reading is reused, so the next POST sees the spend.
  stack = await startTestStack({
    env: { USER_DAILY_COST_BUDGET_USD: '0.00001', ADMISSION_CACHE_MS: '0' },
  });
});

afterAll(async () => {
  await stack.close();
});

const finished = (jobId: string) =>
  pollUntil<CappedJob>(`${stack.apiUrl}/chat/${jobId}`, (job) => isFinished(job), 90_000);

/** ~15,000 words: the fake bills a word as an input token, so the first call costs ~$0.045. */
const PADDING = ' word'.repeat(15_000);

it('stops an agent job before the call that could pass max_cost_usd, with its text so far', async () => {
  const key = randomUUID();
  // Call 1 worst case: ~19k estimated input tokens + 100 output ≈ $0.06 < $0.08: it runs and
  // spends ~$0.045. Call 2 (the tool result back) worst case ≈ $0.06 more: past $0.08, not made.
  const res = await postJson<CappedJob>(`${stack.apiUrl}/chat`, {
    user_id: `cap-${key.slice(0, 8)}`,
    message: `What is 25 * 17?${PADDING} [[fake key=${key}]]`,
    tools: true,
    max_tokens: 100,
    max_cost_usd: 0.08,
  });
  expect(res.status).toBe(202);
  const job = await finished(res.body.job_id);
  expect(job.status).toBe('completed');
  expect(job.stop_reason).toBe('cost_cap');
  expect(job.response).toBe('Let me calculate that.');
  expect(job.steps?.map((s) => s.type)).toEqual(['model_call', 'tool_call']);
  // Only the first call reached Claude, and the job stayed under its cap.
  expect(stack.fake.callsForKey(key)).toHaveLength(1);
  expect(job.cost_usd).toBeGreaterThan(0.03);
  expect(job.cost_usd).toBeLessThan(0.08);
  // The refused call is one activity that never reached Claude: the job costs what an uncapped
  // call → tool → call job costs (23 events, 4 workflow tasks).
  const history = await stack.client.workflow.getHandle(res.body.job_id).fetchHistory();
  const events = history.events ?? [];
  const wfts = events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
  expect({ events: events.length, wfts }).toEqual({ events: 23, wfts: 4 });
});

it('fails an agent job with CostCapExceeded when its first call could pass the cap', async () => {
  const key = randomUUID();
  // Worst case of the first call: 1000 output tokens alone cost $0.015 > $0.001.
  const res = await postJson<CappedJob>(`${stack.apiUrl}/chat`, {
    user_id: `cap-${key.slice(0, 8)}`,
    message: `What is 2 + 2? [[fake key=${key}]]`,
    tools: true,
    max_tokens: 1000,
    max_cost_usd: 0.001,
  });
  expect(res.status).toBe(202);
  const job = await finished(res.body.job_id);
  expect(job.status).toBe('failed');
  expect(job.error?.type).toBe('CostCapExceeded');
  expect(stack.fake.callsForKey(key)).toHaveLength(0);
  const history = await stack.client.workflow.getHandle(res.body.job_id).fetchHistory();
  const events = history.events ?? [];
  const wfts = events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
  expect({ events: events.length, wfts }).toEqual({ events: 11, wfts: 2 });
});

it('rejects a max_cost_usd that is not a positive number, naming the field', async () => {
  const res = await postJson<{ details?: { field: string }[] }>(`${stack.apiUrl}/chat`, {
    user_id: 'cap-validation',
    message: 'hi',
    tools: true,
    max_cost_usd: -1,
  });
  expect(res.status).toBe(400);
  expect(JSON.stringify(res.body)).toContain('max_cost_usd');
});

it('refuses a user past the daily dollar budget with 429 until midnight UTC', async () => {
  const user = `dollars-${randomUUID().slice(0, 8)}`;
  const first = await postJson<JobBody>(`${stack.apiUrl}/chat?wait=20s`, {
    user_id: user,
    message: 'What is 2 + 2?',
  });
  expect(first.body.status).toBe('completed');
  const refused = await postJson<{ error: string }>(`${stack.apiUrl}/chat`, {
    user_id: user,
    message: 'one more',
  });
  expect(refused.status).toBe(429);
  expect(refused.body.error).toBe('daily_cost_budget_exceeded');
  const retryAfter = Number(refused.headers.get('retry-after'));
  const now = new Date();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(Math.ceil((midnight - now.getTime()) / 1000) + 1);
  expect(retryAfter).toBeGreaterThanOrEqual(Math.floor((midnight - now.getTime()) / 1000) - 60);
  // Another user has their own budget.
  const other = await postJson(`${stack.apiUrl}/chat`, { user_id: `${user}-b`, message: 'hi' });
  expect(other.status).toBe(202);
});
