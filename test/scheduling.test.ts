/**
 * Who gets the scarce Claude slots: task-queue priority reorders a backlog, and per-user fairness
 * keeps one user's flood from starving another. Measured from the order in which the fake Claude
 * received the calls, with the workers started only after the backlog was built.
 */
import { randomUUID } from 'node:crypto';
import { isFinished, pollUntil, postJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';

/** Posts `count` jobs with bounded concurrency; returns their fake-Claude keys in order. */
async function submitMany(
  stack: TestStack,
  count: number,
  body: (key: string) => Record<string, unknown>,
): Promise<{ jobIds: string[]; keys: string[] }> {
  const keys = Array.from({ length: count }, () => randomUUID());
  const jobIds: string[] = new Array<string>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, body(keys[i]!));
        expect(res.status).toBe(202);
        jobIds[i] = res.body.job_id;
      }
    }),
  );
  return { jobIds, keys };
}

/** Waits for every job, then returns the order (index in the fake's log) of each key's first call. */
async function callOrder(stack: TestStack, jobIds: string[]): Promise<Map<string, number>> {
  for (const jobId of jobIds) {
    const job = await pollUntil<JobBody>(`${stack.apiUrl}/chat/${jobId}`, isFinished, 180_000, 250);
    expect(job.status).toBe('completed');
  }
  const order = new Map<string, number>();
  stack.fake.calls().forEach((call, index) => {
    if (!order.has(call.key)) order.set(call.key, index);
  });
  return order;
}

const slowWorkers = {
  MAX_CONCURRENT_CLAUDE_CALLS: '2',
  LOG_LEVEL: 'silent',
  // This suite builds a backlog with 16 concurrent submissions to judge dispatch order; the start
  // limiter (test/overload.test.ts judges it) must not shed part of that backlog on a busy machine.
  START_LIMIT_MIN: '64',
  START_LIMIT_INITIAL: '64',
};

it('priority: 10 high jobs submitted after 200 normal ones start ahead of 90% of them', async () => {
  const stack = await startTestStack({ workers: false, env: slowWorkers });
  try {
    const message = (key: string) => `Hello [[fake key=${key} latency_ms=20]]`;
    const normal = await submitMany(stack, 200, (key) => ({
      user_id: 'prio-user',
      message: message(key),
    }));
    const high = await submitMany(stack, 10, (key) => ({
      user_id: 'prio-user',
      message: message(key),
      priority: 'high',
    }));
    await stack.startWorkers();
    const order = await callOrder(stack, [...normal.jobIds, ...high.jobIds]);

    const lastHigh = Math.max(...high.keys.map((key) => order.get(key)!));
    const normalBeforeLastHigh = normal.keys.filter((key) => order.get(key)! < lastHigh).length;
    // Reported for the closing note: how far into the normal backlog the last high job started.
    process.stdout.write(
      `[scheduling] priority: last high job started after ${normalBeforeLastHigh} of 200 normal jobs\n`,
    );
    expect(normalBeforeLastHigh).toBeLessThanOrEqual(20);
  } finally {
    await stack.close();
  }
});

it('fairness: user B’s 5 jobs queued behind user A’s 300 all start within the first ~20 dispatches', async () => {
  const stack = await startTestStack({ workers: false, env: slowWorkers });
  try {
    const message = (key: string) => `Hello [[fake key=${key} latency_ms=20]]`;
    const a = await submitMany(stack, 300, (key) => ({ user_id: 'user-a', message: message(key) }));
    const b = await submitMany(stack, 5, (key) => ({ user_id: 'user-b', message: message(key) }));
    await stack.startWorkers();
    const order = await callOrder(stack, [...a.jobIds, ...b.jobIds]);

    const lastB = Math.max(...b.keys.map((key) => order.get(key)!));
    process.stdout.write(
      `[scheduling] fairness: user B's last job was dispatch #${lastB + 1} of 305\n`,
    );
    expect(lastB).toBeLessThan(25);
  } finally {
    await stack.close();
  }
});
