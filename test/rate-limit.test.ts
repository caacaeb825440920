/**
 * The global Claude rate limit and the fleet-wide cool-down after a 429, against real worker
 * processes and a real Temporal server: the limit is enforced by Temporal's matching service for
 * every worker together, so the server's own dispatch times judge it, and the fake Claude (in its
 * own process) judges the rate Claude sees.
 */
import { randomUUID } from 'node:crypto';
import { fetchFakeCalls } from '../src/chaos/fake-calls';
import { rateGovernorWorkflowId } from '../src/shared';
import { getFreePort } from '../src/temporal/free-port';
import { isFinished, pollUntil, postJson, type JobBody } from './helpers/http';
import { killAllSpawned, spawnEntryPoint } from './helpers/processes';
import { spawnActivityWorker, startTestStack, type TestStack } from './helpers/stack';

/** Largest number of calls whose start falls inside any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((x, y) => x - y);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while (sorted[end]! - sorted[start]! >= windowMs) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/**
 * Resolves once the rate governor's history shows its cool-down activity completed: from then on
 * the server enforces the lowered rate on the Claude queue for every worker.
 */
async function waitForCoolDownApplied(stack: TestStack, deadline: number): Promise<void> {
  const handle = stack.client.workflow.getHandle(
    rateGovernorWorkflowId(stack.config.taskQueues.activities),
  );
  for (;;) {
    // The worker that saw the 429 starts the governor itself: it may not exist yet.
    const history = await handle.fetchHistory().catch((err: unknown) => {
      if (err instanceof Error && /NOT_FOUND|not found/i.test(err.message)) return undefined;
      throw err;
    });
    const applied = (history?.events ?? []).some(
      (event) => event.activityTaskCompletedEventAttributes != null,
    );
    if (applied) return;
    if (Date.now() > deadline) throw new Error('the rate governor never applied the cool-down');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** When the server dispatched each job's model call (its ActivityTaskStarted time), if it did. */
async function dispatchTimes(stack: TestStack, jobIds: string[]): Promise<number[]> {
  const times: number[] = [];
  for (const jobId of jobIds) {
    const history = await stack.client.workflow.getHandle(jobId).fetchHistory();
    const started = history.events?.find((e) => e.activityTaskStartedEventAttributes != null);
    const at = started?.eventTime;
    if (at) times.push(Number(at.seconds ?? 0) * 1000 + Math.floor((at.nanos ?? 0) / 1e6));
  }
  return times;
}

/** Spawns `count` activity-worker processes with `env` and waits until all poll. */
async function spawnActivityWorkers(
  stack: TestStack,
  count: number,
  env: Record<string, string>,
): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => spawnActivityWorker(stack, env)));
}

afterEach(() => {
  killAllSpawned();
});

it('holds 2 activity workers to a global 5 requests/s over a 30-second run', async () => {
  const stack = await startTestStack({ inProcessActivities: false, env: { CLAUDE_MAX_RPS: '5' } });
  try {
    // The judge runs in its own process: arrival times taken in this process would be skewed by
    // whatever else its event loop is doing (the in-process workflow worker, the API).
    const fakePort = await getFreePort();
    const fake = spawnEntryPoint('fake-claude', [], {
      ...process.env,
      FAKE_CLAUDE_HOST: '127.0.0.1',
      FAKE_CLAUDE_PORT: String(fakePort),
    });
    await fake.waitForOutput(/fake-claude listening/);
    const fakeUrl = `http://127.0.0.1:${fakePort}`;
    await spawnActivityWorkers(stack, 2, { CLAUDE_MAX_RPS: '5', ANTHROPIC_BASE_URL: fakeUrl });
    const runId = randomUUID().slice(0, 8);
    const runStart = Date.now();
    const jobIds: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
        user_id: 'rate-user',
        message: `Hello ${i} [[fake key=${runId}-${i}]]`,
      });
      expect(res.status).toBe(202);
      jobIds.push(res.body.job_id);
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - runStart))),
    );
    // What the limiter controls: when Temporal handed each call to a worker (the server's clock,
    // from the histories). What Claude sees: the fake's arrival times, judged by their mean — a
    // worker process stalled for a moment on a busy machine bunches a few arrivals together,
    // which no server-side limiter can prevent (the busiest 5-s window is printed, not judged).
    const dispatched = await dispatchTimes(stack, jobIds);
    const arrivals = (await fetchFakeCalls(fakeUrl, runId)).map((call) => Date.parse(call.at));
    const first = Math.min(...dispatched);
    // Temporal 1.29's matching limiter lets a full second of tokens accumulate while the queue is
    // idle (its burst duration is fixed at 1 s), so the first second sees more than the rate.
    // Later the bucket stays empty only while a poll is always waiting: when the workers' polls
    // lag (a busy machine, another suite running beside this one), up to one second of tokens
    // builds up again. So any later window of T seconds holds at most (T + 1) × the rate.
    const opening = dispatched.filter((t) => t < first + 1_000).length;
    const later = dispatched.filter((t) => t >= first + 1_000);
    const steady = maxInWindow(later, 1_000);
    const steady5s = maxInWindow(later, 5_000);
    const firstArrival = Math.min(...arrivals);
    const arrivals5s = maxInWindow(
      arrivals.filter((t) => t >= firstArrival + 1_000),
      5_000,
    );
    const rate = arrivals.length / ((Math.max(...arrivals) - firstArrival) / 1000);
    process.stdout.write(
      `[rate-limit] ${dispatched.length} dispatched, ${arrivals.length} calls in 30 s; first second ${opening}; busiest later 1-s / 5-s dispatch windows ${steady} / ${steady5s}; busiest 5-s arrival window ${arrivals5s}; mean ${rate.toFixed(2)}/s\n`,
    );
    expect(arrivals.length).toBeGreaterThanOrEqual(100); // the limit, not a stall, shaped the run
    expect(steady).toBeLessThanOrEqual(10); // 5 per second, plus at most 1 s of tokens
    expect(steady5s).toBeLessThanOrEqual(30); // 5 s at 5 per second, plus at most 1 s of tokens
    // The idle bucket's burst: measured 10–12; bounded at three seconds' worth.
    expect(opening).toBeLessThanOrEqual(15);
    expect(rate).toBeLessThanOrEqual(5.5);
  } finally {
    await stack.close();
  }
});

it('a 429 slows the whole fleet for its retry-after window, then work resumes', async () => {
  const stack = await startTestStack({
    inProcessActivities: false,
    env: { CLAUDE_COOLDOWN_RPS: '0.5' },
  });
  try {
    await spawnActivityWorkers(stack, 2, { CLAUDE_COOLDOWN_RPS: '0.5' });
    const trigger = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
      user_id: 'cooldown-user',
      message: `Hello [[fake key=${randomUUID()} fail=429:6]]`,
    });
    expect(trigger.status).toBe(202);
    const deadline = Date.now() + 20_000;
    while (
      !stack.fake.calls().some((call) => call.outcome === 'rate_limited') &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const limitedAt = Date.parse(
      stack.fake.calls().find((call) => call.outcome === 'rate_limited')!.at,
    );
    // Wait until the governor has applied the fleet-wide limit (its cool-down activity has
    // completed in its history), then send a burst of work.
    await waitForCoolDownApplied(stack, limitedAt + 20_000);
    const burstAt = Date.now();
    const jobIds: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
        user_id: 'cooldown-user',
        message: `What is ${i} + 1? [[fake key=${randomUUID()}]]`,
      });
      jobIds.push(res.body.job_id);
    }
    for (const jobId of [...jobIds, trigger.body.job_id]) {
      const job = await pollUntil<JobBody>(
        `${stack.apiUrl}/chat/${jobId}`,
        isFinished,
        90_000,
        250,
      );
      expect(job.status).toBe('completed');
    }
    const windowEnd = limitedAt + 6_000;
    const inWindow = stack.fake.calls().filter((call) => {
      const at = Date.parse(call.at);
      return at >= burstAt && at < windowEnd - 500;
    }).length;
    const afterWindow = stack.fake
      .calls()
      .filter((call) => Date.parse(call.at) >= windowEnd).length;
    process.stdout.write(
      `[rate-limit] cool-down: ${inWindow} calls during the rest of the 6 s window, ${afterWindow} after it\n`,
    );
    // Without the governor all 10 would start at once; at 0.5/s only a few may start.
    expect(inWindow).toBeLessThanOrEqual(4);
    expect(afterWindow).toBeGreaterThanOrEqual(6);
  } finally {
    await stack.close();
  }
});
