/**
 * A short chaos run on real processes (API, workflow worker, two activity workers, fake Claude;
 * the shared test Temporal): one activity worker is SIGKILLed mid-load and restarted; every
 * accepted job must finish exactly once (one ActivityTaskCompleted in its history) with the
 * right answer, and nothing may be lost.
 */
import { chaosOptions, runChaos, stackChaosTarget } from '../src/chaos';
import { parseChaosArgs } from '../src/chaos/options';
import { startLocalStack, type LocalStack } from '../src/stack/local-stack';
import { testTemporal } from './helpers/temporal';

let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.close();
});

it('a SIGKILLed activity worker loses no job and duplicates no result', async () => {
  const { address, namespace } = testTemporal();
  stack = await startLocalStack({
    temporal: { kind: 'external', address, namespace },
    activityWorkers: 2,
    env: {
      CLAUDE_HEARTBEAT_TIMEOUT_MS: '3000',
      CLAUDE_INITIAL_RETRY_MS: '200',
      CLAUDE_MAX_RETRY_MS: '2000',
      WORKER_SHUTDOWN_GRACE_MS: '1000',
    },
  });
  const report = await runChaos(
    stackChaosTarget(stack),
    chaosOptions({
      rate: 8,
      durationS: 4,
      latencyMs: 1_500,
      firstAtMs: 2_000,
      killEveryMs: 60_000,
      restartAfterMs: 1_000,
      drainTimeoutS: 60,
      pollIntervalMs: 250,
    }),
  );
  const v = report.verification;
  const c = report.load.counts;
  expect(c.sent).toBe(32);
  expect(c.sent).toBe(c.accepted + c.refused);
  expect(v.problems).toEqual([]);
  expect(v.lost).toBe(0);
  expect(v.accepted).toBe(c.accepted);
  expect(v.completed).toBe(v.accepted);
  expect(v.notExactlyOnce).toBe(0);
  expect(v.evidence).toBe('temporal-history');
  expect(v.ok).toBe(true);
  expect(report.recovery).toHaveLength(1);
  expect(report.recovery[0]!.kind).toBe('kill-worker');
  expect(report.recovery[0]!.error).toBeUndefined();
  // The killed worker came back as a new process.
  expect(report.workerPids['worker-activities-1']).toHaveLength(2);
});

it('names the flag in argument errors', () => {
  expect(() => parseChaosArgs(['--kill-every', 'often'], {})).toThrow(/--kill-every/);
  expect(() =>
    parseChaosArgs(['--kill-temporal-at', '5', '--temporal-address', '127.0.0.1:7233'], {}),
  ).toThrow(/--kill-temporal-at/);
});
