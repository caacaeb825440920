/**
 * Crash recovery by Temporal's durable history: an activity worker process SIGKILLed in the
 * middle of a model call → the call is retried on the other worker, and the job completes with
 * exactly one result.
 */
import { randomUUID } from 'node:crypto';
import { isFinished, pollUntil, postJson, type JobBody } from './helpers/http';
import { isAlive, killAllSpawned, spawnEntryPoint, type SpawnedProcess } from './helpers/processes';
import { startTestStack, type TestStack } from './helpers/stack';
import { testTemporal } from './helpers/temporal';

let stack: TestStack;
let workers: SpawnedProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack({ inProcessActivities: false });
  const env = {
    ...process.env,
    ...stack.env,
    LOG_LEVEL: 'info',
    TEMPORAL_ADDRESS: testTemporal().address,
    TEMPORAL_NAMESPACE: testTemporal().namespace,
  };
  workers = [
    spawnEntryPoint('worker', ['--role=activities'], env),
    spawnEntryPoint('worker', ['--role=activities'], env),
  ];
  await Promise.all(workers.map((worker) => worker.waitForOutput(/worker polling/)));
});

afterAll(async () => {
  killAllSpawned();
  await stack.close();
});

it('retries a SIGKILLed worker’s call on the other worker; one result, two model calls', async () => {
  const key = randomUUID();
  // ~40 words at 8 tokens/s: the stream runs for about 5 s, long enough to kill mid-call.
  const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
    user_id: 'crash-user',
    message: `Tell me a long story about durable execution. [[fake key=${key} tps=8]]`,
  });
  expect(res.status).toBe(202);
  const jobId = res.body.job_id;

  // Wait until a worker is streaming the answer, then find which process runs it.
  const handle = stack.client.workflow.getHandle(jobId);
  let victimPid: number | undefined;
  const deadline = Date.now() + 30_000;
  while (victimPid === undefined && Date.now() < deadline) {
    const pending = (await handle.describe()).raw.pendingActivities?.[0];
    const identity = pending?.lastWorkerIdentity ?? '';
    const match = /^activities:(\d+)@/.exec(identity);
    if (Number(pending?.state) === 2 && match && stack.fake.callsForKey(key).length === 1)
      victimPid = Number(match[1]);
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(victimPid).toBeDefined();
  const victim = workers.find((worker) => worker.child.pid === victimPid)!;
  expect(victim).toBeDefined();
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  await victim.exited();
  expect(isAlive(victimPid!)).toBe(false);

  const job = await pollUntil<JobBody>(`${stack.apiUrl}/chat/${jobId}`, isFinished, 90_000);
  expect(job.status).toBe('completed');
  expect(job.attempts).toBe(2);
  expect(job.response).toContain('You said');

  const calls = stack.fake.callsForKey(key);
  expect(calls).toHaveLength(2);
  // Recovery time for the closing note: SIGKILL → the retry reaching the model.
  process.stdout.write(
    `[worker-crash] recovery ${Date.parse(calls[1]!.at) - killedAt} ms after SIGKILL ` +
      `(heartbeat timeout ${stack.config.claude.policy.heartbeatTimeoutMs} ms)\n`,
  );
  expect(calls.filter((call) => call.completed)).toHaveLength(1);
  expect(calls[0]!.completed).toBe(false);
  expect(calls[1]!.completed).toBe(true);
  // The survivor did the retry.
  const survivor = workers.find((worker) => worker !== victim)!;
  expect(survivor.child.exitCode).toBeNull();
});
