/**
 * The chaos test of the failure-semantics issue, on real processes: 120 jobs while activity
 * workers are SIGKILLed and restarted on a seeded random schedule, and the fake Claude injects
 * 10% 429 (retry-after 1 s), 5% 529 and 2% connection resets mid-stream. Every job must complete
 * exactly once (one ActivityTaskCompleted in its Temporal history) with the right answer — none
 * lost, none duplicated — and the run reports how many model calls each job took.
 */
import { chaosOptions, runChaos, stackChaosTarget } from '../src/chaos';
import { startLocalStack, type LocalStack } from '../src/stack/local-stack';
import { testTemporal } from './helpers/temporal';

let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.close();
});

it('completes 120 jobs exactly once through worker kills, 429s, 529s and mid-stream resets', async () => {
  const { address, namespace } = testTemporal();
  stack = await startLocalStack({
    temporal: { kind: 'external', address, namespace },
    activityWorkers: 3,
    env: {
      CLAUDE_HEARTBEAT_TIMEOUT_MS: '3000',
      CLAUDE_INITIAL_RETRY_MS: '200',
      CLAUDE_MAX_RETRY_MS: '2000',
      WORKER_SHUTDOWN_GRACE_MS: '1000',
      // The fleet-wide cool-down would slow this deliberately faulty run to a crawl.
      CLAUDE_COOLDOWN_FACTOR: '1',
      // Exactly-once through faults is judged here, not admission (test/overload.test.ts): a busy
      // test machine's slow starts must not make the start limiter shed part of the load.
      START_LIMIT_MIN: '64',
      START_LIMIT_INITIAL: '64',
    },
    fakeEnv: {
      FAKE_CLAUDE_RATE_429: '0.10',
      FAKE_CLAUDE_RETRY_AFTER_S: '1',
      FAKE_CLAUDE_RATE_529: '0.05',
      FAKE_CLAUDE_RATE_RESET: '0.02',
      FAKE_CLAUDE_SEED: '7',
    },
  });
  const report = await runChaos(
    stackChaosTarget(stack),
    chaosOptions({
      rate: 12,
      durationS: 10,
      activityWorkers: 3,
      latencyMs: 800,
      firstAtMs: 1_500,
      killEveryMs: 2_500,
      restartAfterMs: 1_000,
      heartbeatTimeoutMs: 3_000,
      drainTimeoutS: 120,
      pollIntervalMs: 250,
      seed: 3,
    }),
  );
  const v = report.verification;
  const c = report.load.counts;
  process.stdout.write(
    `[chaos-faults] ${v.accepted} jobs, ${report.recovery.length} worker kills; model calls ` +
      `${v.modelCalls.total} (${(v.modelCalls.total / v.accepted).toFixed(2)} per job), ` +
      `${v.modelCalls.completed} completed; duplicate completed calls ${v.duplicateModelCalls}\n`,
  );
  expect(c.sent).toBe(120);
  expect(c.refused).toBe(0);
  expect(v.accepted).toBe(120);
  expect(v.problems).toEqual([]);
  expect(v.lost).toBe(0);
  expect(v.failed).toBe(0);
  expect(v.wrongAnswers).toBe(0);
  expect(v.completed).toBe(120);
  expect(v.notExactlyOnce).toBe(0);
  expect(v.evidence).toBe('temporal-history');
  expect(report.recovery.length).toBeGreaterThanOrEqual(3);
  // The faults really happened: more model calls than jobs.
  expect(v.modelCalls.total).toBeGreaterThan(v.accepted);
});
