/**
 * The chaos run: load from the loadtest engine while the schedule kills, stops and restarts
 * activity workers (and optionally the Temporal server); afterwards every accepted job is checked
 * for exactly-once completion with the right answer, and each fault's recovery time is measured.
 */
import {
  buildReport,
  loadtestOptions,
  runLoadtest,
  type JobRecord,
  type LiveCounters,
  type LoadtestReport,
} from '../loadtest';
import type { ManagedProcess } from '../stack/managed-process';
import { fetchFakeCalls } from './fake-calls';
import type { ChaosOptions } from './options';
import { recoveryFigures, type ExecutedAction, type RecoveryFigures } from './recovery';
import { buildSchedule, type ChaosAction } from './schedule';
import { verifyRun, type Verification } from './verify';

/** The system under chaos: where to send load, and what may be killed. */
export interface ChaosTarget {
  /** Name in reports (`agent-fleet`, `bullmq`). */
  system: string;
  apiUrl: string;
  fakeUrl: string;
  activityWorkers: ManagedProcess[];
  /** (Re)starts a worker and resolves once it takes work. */
  startWorker: (worker: ManagedProcess) => Promise<void>;
  killTemporal?: () => Promise<void>;
  restartTemporal?: () => Promise<void>;
  /** Results the orchestrator recorded per job id (Temporal: ActivityTaskCompleted events). */
  recordedResults?: (jobIds: string[]) => Promise<Map<string, number>>;
}

/** Everything a chaos run found. */
export interface ChaosReport {
  tool: 'agent-fleet-chaos';
  system: string;
  settings: Omit<ChaosOptions, 'out' | 'quiet'>;
  schedule: ChaosAction[];
  verification: Verification;
  recovery: RecoveryFigures[];
  load: LoadtestReport;
  /** Worker pids over the run (each restart adds one). */
  workerPids: Record<string, number[]>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs load plus the fault schedule against `target`; never throws for a failed check. */
export async function runChaos(
  target: ChaosTarget,
  options: ChaosOptions,
  hooks: { onProgress?: (c: LiveCounters) => void; log?: (line: string) => void } = {},
): Promise<ChaosReport> {
  const log = hooks.log ?? (() => undefined);
  const schedule = buildSchedule(options);
  const acceptedKeys = new Set<string>();
  const executed: ExecutedAction[] = [];
  const background: Array<Promise<void>> = [];

  const snapshot = async (): Promise<Map<string, number>> => {
    const inFlight = new Map<string, number>();
    try {
      const calls = await fetchFakeCalls(target.fakeUrl, '');
      for (const call of calls)
        if (acceptedKeys.has(call.key) && !call.completed && !call.aborted)
          inFlight.set(call.key, call.attempt);
    } catch (err) {
      log(`could not read the fake's call log: ${String(err)}`);
    }
    return inFlight;
  };

  const execute = async (action: ChaosAction, t0: number): Promise<void> => {
    const inFlight = await snapshot();
    const record: ExecutedAction = {
      action,
      atMs: performance.now() - t0,
      atEpochMs: Date.now(),
      inFlight,
    };
    executed.push(record);
    try {
      if (action.kind === 'kill-temporal') {
        if (!target.killTemporal || !target.restartTemporal)
          throw new Error('this target cannot kill its Temporal server');
        await target.killTemporal();
        log(`t=${(record.atMs / 1000).toFixed(1)}s SIGKILL Temporal server`);
        const restart = target.restartTemporal;
        background.push(
          sleep(action.downForMs)
            .then(() => restart())
            .then(() => {
              record.backAtEpochMs = Date.now();
              log('Temporal server restarted');
            }),
        );
        return;
      }
      const worker = target.activityWorkers[action.worker]!;
      record.pid = worker.pid;
      if (record.pid === undefined) throw new Error(`${worker.spec.name} is not running`);
      if (action.kind === 'kill-worker') {
        await worker.signal('SIGKILL');
        log(
          `t=${(record.atMs / 1000).toFixed(1)}s SIGKILL ${worker.spec.name} (pid ${record.pid}, ${inFlight.size} calls in flight)`,
        );
        background.push(
          sleep(action.restartAfterMs)
            .then(() => target.startWorker(worker))
            .then(() => {
              record.backAtEpochMs = Date.now();
              log(`${worker.spec.name} restarted as pid ${worker.pid}`);
            }),
        );
      } else {
        await worker.signal('SIGSTOP');
        log(
          `t=${(record.atMs / 1000).toFixed(1)}s SIGSTOP ${worker.spec.name} (pid ${record.pid})`,
        );
        background.push(
          sleep(action.resumeAfterMs).then(async () => {
            await worker.signal('SIGCONT');
            record.backAtEpochMs = Date.now();
            log(`SIGCONT ${worker.spec.name}`);
          }),
        );
      }
    } catch (err) {
      record.error = (err as Error).message;
      log(`fault ${action.kind} failed: ${record.error}`);
    }
  };

  const t0 = performance.now();
  let loadDone = false;
  const scheduler = (async () => {
    for (const action of schedule) {
      const wait = action.atMs - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
      if (loadDone) break;
      await execute(action, t0);
    }
  })();
  const run = await runLoadtest(
    loadtestOptions({
      url: target.apiUrl,
      rate: options.rate,
      durationS: options.durationS,
      latencyMs: options.latencyMs,
      messageMix: { arith: 1 },
      pollIntervalMs: options.pollIntervalMs,
      drainTimeoutS: options.drainTimeoutS,
      seed: options.seed,
      userPrefix: 'chaos',
    }),
    {
      onProgress: hooks.onProgress,
      onAccepted: (record: JobRecord) => acceptedKeys.add(record.key),
    },
  );
  loadDone = true;
  await scheduler;
  // A restart still in progress must finish before the stack is inspected or closed.
  await Promise.allSettled(background);

  const calls = await fetchFakeCalls(target.fakeUrl, `${run.runId}-`);
  const acceptedIds = run.records.flatMap((r) => (r.jobId ? [r.jobId] : []));
  const recorded = target.recordedResults ? await target.recordedResults(acceptedIds) : undefined;
  const { out: _out, quiet: _quiet, ...settings } = options;
  return {
    tool: 'agent-fleet-chaos',
    system: target.system,
    settings,
    schedule,
    verification: verifyRun(run.records, calls, recorded),
    recovery: recoveryFigures(executed, run.records, calls),
    load: buildReport(run),
    workerPids: Object.fromEntries(
      target.activityWorkers.map((w) => [w.spec.name, [...w.pidHistory]]),
    ),
  };
}
