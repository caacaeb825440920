/**
 * `npm run bench`: every figure of the benchmark table, for Agent Fleet (Temporal) and the BullMQ
 * peer baseline, measured side by side in one run on this machine. Writes bench/results/*.json
 * and BENCHMARKS.md. `--quick` shrinks every duration (a smoke run, not a result).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { chaosOptions, runChaos, stackChaosTarget, type ChaosReport } from '../src/chaos';
import { parseToolArgs } from '../src/runtime/cli-args';
import { SEARCH_ATTRIBUTES } from '../src/shared/constants';
import { startLocalStack, type LocalStack } from '../src/stack/local-stack';
import { findProjectRoot } from '../src/stack/project-root';
import { readPostgresProfileSettings } from '../src/temporal/postgres-profile-settings';
import {
  assertPostgresReachable,
  dropTemporalDatabases,
  setupTemporalSchema,
} from '../src/temporal/postgres-schema';
import { startPostgresTemporalServer } from '../src/temporal/postgres-server';
import { ensureTemporalServerBinaries } from '../src/temporal/temporal-server-binary';
import { runBareStep, startBareWorker, type BareStep } from './lib/bare-driver';
import { startBullmqStack, type BullmqStack } from './lib/bullmq-stack';
import { redisPid } from './lib/cpu-sampler';
import { freePostgresServerBasePort } from '../src/temporal/postgres-server-ports';
import { writeBenchmarksMd } from './lib/markdown';
import { measureGets, measureLoad, measureMemory, type Measured } from './lib/measure';

const argsSchema = z.object({
  quick: z.boolean().default(false),
  'skip-pg': z.boolean().default(false),
  'max-minutes': z.coerce.number().positive().max(120).default(25),
});

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/**
 * Seconds per rate of the saturation ladders. Long enough for a backlog that grows slowly to
 * show in the queue-wait p99: with 8-s steps a rate the server could not sustain still passed.
 */
const LADDER_STEP_S = 20;

/** A rate step of the saturation search. */
export interface LadderStep {
  rate: number;
  queueWaitP99Ms: number;
  e2eP99Ms: number;
  completed: number;
  lost: number;
  refused: number;
  pass: boolean;
  cpu?: Record<string, number>;
}

/** Figures of one system. */
export interface SystemFigures {
  f1: { at50: Measured; at200: Measured };
  f2: { fake0: Measured; fake3s: Measured };
  f3: { measured: Measured; jobsPerMinute: number; slots: number };
  f4: { steps: LadderStep[]; saturationJobsPerS: number };
  f5: {
    one: Measured;
    two: Measured;
    oneJobsPerS: number;
    twoJobsPerS: number;
    slotsPerWorker: number;
  };
  f6: Measured;
  f7: ChaosReport;
  f8: Awaited<ReturnType<typeof measureGets>>;
  f9: Awaited<ReturnType<typeof measureMemory>>;
}

/** Everything one bench run measured. */
export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  quick: boolean;
  machine: {
    cpus: string;
    cores: number;
    memoryGiB: number;
    kernel: string;
    loadAvgAtStart: number[];
  };
  versions: Record<string, string>;
  ours?: Partial<SystemFigures>;
  bullmq?: Partial<SystemFigures>;
  bare: {
    dev?: { steps: BareStep[]; saturationJobsPerS: number };
    pg?: { steps: BareStep[]; saturationJobsPerS: number };
  };
  pg?: { steps: LadderStep[]; saturationJobsPerS: number; error?: string };
  errors: string[];
}

/** Mean completions per second over [fromS, toS) of a run's timeline. */
function steadyRate(m: Measured, fromS: number, toS: number): number {
  const points = m.report.timeline.filter((p) => p.t >= fromS && p.t < toS);
  if (points.length === 0) return 0;
  return Math.round((points.reduce((s, p) => s + p.completed, 0) / points.length) * 10) / 10;
}

/** Installed version of an npm package. */
function packageVersion(root: string, name: string): string {
  try {
    const file = path.join(root, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

/** A system under test as the scenarios see it. */
interface System {
  name: 'ours' | 'bullmq';
  url: string;
  fakeUrl: string;
  pids(): Record<string, number | undefined>;
  /** Restarts the workers with `count` processes and `slots` concurrent calls each. */
  setWorkers(count: number, slots: number): Promise<void>;
  workerPid(): number | undefined;
  chaos(opts: ReturnType<typeof chaosOptions>): Promise<ChaosReport>;
}

function oursSystem(stack: LocalStack): System {
  return {
    name: 'ours',
    url: stack.apiUrl,
    fakeUrl: stack.fakeUrl,
    pids: () => stack.pids(),
    async setWorkers(count, slots) {
      await Promise.all(stack.activityWorkers.map((w) => w.stop(5_000)));
      for (const [i, w] of stack.activityWorkers.entries()) {
        w.spec.env.MAX_CONCURRENT_CLAUDE_CALLS = String(slots);
        if (i < count) await stack.startWorker(w);
      }
    },
    workerPid: () => stack.activityWorkers[0]!.pid,
    chaos: (opts) => runChaos(stackChaosTarget(stack), opts),
  };
}

function bullmqSystem(stack: BullmqStack): System {
  return {
    name: 'bullmq',
    url: stack.apiUrl,
    fakeUrl: stack.fakeUrl,
    pids: () => ({
      api: stack.api.pid,
      'fake-claude': stack.fake.pid,
      redis: redisPid(),
      ...Object.fromEntries(stack.workers.map((w) => [w.spec.name, w.pid])),
    }),
    async setWorkers(count, slots) {
      await Promise.all(stack.workers.map((w) => w.stop(5_000)));
      for (const [i, w] of stack.workers.entries()) {
        w.spec.env.BULLMQ_CONCURRENCY = String(slots);
        if (i < count) await stack.startWorker(w);
      }
    },
    workerPid: () => stack.workers[0]!.pid,
    chaos: (opts) =>
      runChaos(
        {
          system: 'bullmq',
          apiUrl: stack.apiUrl,
          fakeUrl: stack.fakeUrl,
          activityWorkers: stack.workers,
          startWorker: (w) => stack.startWorker(w),
        },
        opts,
      ),
  };
}

/** Runs every figure against one system. */
async function runFigures(
  sys: System,
  scale: number,
  ladder: number[],
  into: Partial<SystemFigures>,
): Promise<void> {
  const d = (s: number) => Math.max(2, Math.round(s * scale));
  const load = (o: Parameters<typeof measureLoad>[3]) =>
    measureLoad(sys.url, sys.fakeUrl, sys.pids(), o, log);
  log(`${sys.name}: F1 accept latency`);
  const at50 = await load({ rate: 50, durationS: d(10), latencyMs: 0 });
  const at200 = await load({ rate: 200, durationS: d(10), latencyMs: 0 });
  into.f1 = { at50, at200 };
  log(`${sys.name}: F8 GET latency at 100/s`);
  const f8 = await measureGets(sys.url, 100, d(10), sys.pids());
  into.f8 = f8;
  log(`  GET p50/p99 ${f8.all.p50.toFixed(1)}/${f8.all.p99.toFixed(1)} ms (non-200: ${f8.non200})`);
  log(`${sys.name}: F2 orchestration overhead`);
  const fake0 = await load({ rate: 10, durationS: d(10), latencyMs: 0 });
  const fake3s = await load({ rate: 10, durationS: d(10), latencyMs: 3_000 });
  into.f2 = { fake0, fake3s };
  log(`${sys.name}: F7 crash`);
  const f7 = await sys.chaos(
    chaosOptions({
      rate: 5,
      durationS: d(20),
      latencyMs: 3_000,
      firstAtMs: d(20) * 400,
      killEveryMs: 3_600_000,
      restartAfterMs: 2_000,
      drainTimeoutS: 120,
    }),
  );
  into.f7 = f7;
  log(`  lost ${f7.verification.lost}, resume p50 ${f7.recovery[0]?.resumeMs.p50} ms`);
  log(`${sys.name}: F4 saturation ladder`);
  const steps: LadderStep[] = [];
  for (const rate of ladder) {
    const m = await load({ rate, durationS: d(LADDER_STEP_S), latencyMs: 0 });
    const c = m.report.counts;
    const step: LadderStep = {
      rate,
      queueWaitP99Ms: m.report.latencyMs.queueWait.p99,
      e2eP99Ms: m.report.latencyMs.endToEnd.p99,
      completed: c.completed,
      lost: c.lost,
      refused: c.refused,
      pass:
        m.report.latencyMs.queueWait.p99 < 200 &&
        c.lost === 0 &&
        c.refused === 0 &&
        c.completed === c.accepted,
      cpu: m.cpu,
    };
    steps.push(step);
    if (!step.pass) break;
  }
  const saturation = Math.max(0, ...steps.filter((s) => s.pass).map((s) => s.rate));
  into.f4 = { steps, saturationJobsPerS: saturation };
  log(`${sys.name}: F3 jobs/minute, one worker, fake 3 s`);
  await sys.setWorkers(1, 200);
  const f3 = await load({ rate: 40, durationS: d(20), latencyMs: 3_000 });
  const f3Rate = steadyRate(f3, 4, d(20));
  into.f3 = { measured: f3, jobsPerMinute: Math.round(f3Rate * 60), slots: 200 };
  log(`${sys.name}: F5 scaling 1 → 2 workers, 20 slots each`);
  await sys.setWorkers(1, 20);
  const one = await load({ rate: 15, durationS: d(15), latencyMs: 3_000 });
  await sys.setWorkers(2, 20);
  const two = await load({ rate: 15, durationS: d(15), latencyMs: 3_000 });
  into.f5 = {
    one,
    two,
    oneJobsPerS: steadyRate(one, 4, d(15)),
    twoJobsPerS: steadyRate(two, 4, d(15)),
    slotsPerWorker: 20,
  };
  log(`${sys.name}: F9 memory with 1,000 calls in flight`);
  await sys.setWorkers(1, 1_000);
  const f9 = await measureMemory(
    sys.url,
    sys.fakeUrl,
    () => sys.workerPid(),
    scale < 1 ? 200 : 1_000,
  );
  into.f9 = f9;
  log(`  ${f9.inFlight} in flight, RSS ${f9.rssMb} MB`);
  // Last: 429s wake the fleet-wide rate governor, whose cool-down would slow every later scenario.
  log(`${sys.name}: F6 faults`);
  await sys.setWorkers(2, 200);
  const f6 = await load({
    rate: 10,
    durationS: d(10),
    latencyMs: 100,
    failMix: { '429:1': 0.1, '529': 0.05 },
  });
  into.f6 = f6;
}

/** The bare-Temporal ladder on a server. */
async function bareLadder(address: string, namespace: string, ladder: number[], stepS: number) {
  const taskQueue = `bare-${randomBytes(4).toString('hex')}`;
  const worker = await startBareWorker(address, namespace, taskQueue);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const steps: BareStep[] = [];
  try {
    for (const rate of ladder) {
      const step = await runBareStep(client, taskQueue, rate, stepS);
      log(
        `  bare ${rate}/s: queue wait p99 ${step.queueWaitMs.p99} ms, completed ${step.completed}/${step.sent}`,
      );
      steps.push(step);
      if (!(step.queueWaitMs.p99 < 200 && step.completed === step.sent)) break;
    }
  } finally {
    await connection.close();
    await worker.stop(5_000);
  }
  const passing = steps.filter((s) => s.queueWaitMs.p99 < 200 && s.completed === s.sent);
  return { steps, saturationJobsPerS: Math.max(0, ...passing.map((s) => s.rate)) };
}

async function main(): Promise<void> {
  const { options } = parseToolArgs(argsSchema, process.argv.slice(2), process.env, 'BENCH', [
    'quick',
    'skip-pg',
  ]);
  const root = findProjectRoot();
  const scale = options.quick ? 0.3 : 1;
  const ladder = options.quick ? [10, 40] : [10, 15, 20, 25, 50, 75, 100];
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    quick: options.quick,
    machine: {
      cpus: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      kernel: os.release(),
      loadAvgAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    },
    versions: {
      node: process.version,
      temporalCli: version(path.join(root, '.temporal', 'bin', 'temporal'), ['--version']),
      temporalSdk: packageVersion(root, '@temporalio/client'),
      bullmq: packageVersion(root, 'bullmq'),
      redis: version('redis-server', ['--version']),
      postgres: version('postgres', ['--version']),
    },
    bare: {},
    errors: [],
  };
  const failSoft = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      log(`${what} failed: ${String(err instanceof Error ? err.stack : err)}`);
      results.errors.push(
        `${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
      return undefined;
    }
  };

  /** Writes the JSON (and, for a full run, BENCHMARKS.md); called after each system too. */
  const save = async (): Promise<void> => {
    results.finishedAt = new Date().toISOString();
    const dir = path.join(root, 'bench', 'results');
    await fs.mkdir(dir, { recursive: true });
    const name = options.quick ? 'quick.json' : 'latest.json';
    // Per-job records and histograms would make the file huge; the figures are what is kept.
    const slim = JSON.stringify(
      results,
      (key, value: unknown) =>
        key === 'timeline' || key === 'histograms' || key === 'lostJobIds' ? undefined : value,
      2,
    );
    await fs.writeFile(path.join(dir, name), `${slim}\n`);
    if (!options.quick) await writeBenchmarksMd(path.join(root, 'BENCHMARKS.md'), results);
    log(`wrote bench/results/${name}${options.quick ? '' : ' and BENCHMARKS.md'}`);
    // Generated files follow the repository's formatting (npm test checks it).
    try {
      execFileSync(
        path.join(root, 'node_modules', '.bin', 'prettier'),
        [
          '--write',
          path.join(dir, name),
          ...(options.quick ? [] : [path.join(root, 'BENCHMARKS.md')]),
        ],
        { stdio: 'ignore' },
      );
    } catch {
      log('prettier failed on the generated files');
    }
  };
  const closers = new Set<() => Promise<void>>();
  const abort = (why: string) => {
    log(`${why}: closing stacks and writing what was measured`);
    results.errors.push(`${why}: figures not listed were not measured`);
    const closing = Promise.allSettled([...closers].map((close) => close()));
    const timeout = new Promise((resolve) => setTimeout(resolve, 20_000));
    void Promise.race([closing, timeout])
      .then(() => save())
      .finally(() => process.exit(3));
  };
  // A hard cap: whatever happens, the bench ends by itself (and keeps what it measured).
  setTimeout(
    () => abort(`time cap of ${options['max-minutes']} min reached`),
    options['max-minutes'] * 60_000,
  ).unref();
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));

  log('=== BullMQ baseline ===');
  const bull = await startBullmqStack({ workers: 2, concurrency: 200 });
  closers.add(() => bull.close());
  try {
    results.bullmq = {};
    const into = results.bullmq;
    await failSoft('bullmq', () => runFigures(bullmqSystem(bull), scale, ladder, into));
  } finally {
    closers.clear();
    await bull.close();
  }
  await save();

  log('=== Agent Fleet on the Temporal dev server ===');
  const stack = await startLocalStack({ temporal: { kind: 'dev' }, activityWorkers: 2, log });
  closers.add(() => stack.close());
  try {
    results.ours = {};
    const into = results.ours;
    await failSoft('ours', () => runFigures(oursSystem(stack), scale, ladder, into));
    log('=== bare Temporal ceiling (same dev server) ===');
    results.bare.dev = await failSoft('bare (dev)', () =>
      bareLadder(
        stack.temporalAddress,
        stack.namespace,
        ladder,
        Math.max(2, Math.round(LADDER_STEP_S * scale)),
      ),
    );
  } finally {
    closers.clear();
    await stack.close();
  }
  await save();

  if (!options['skip-pg']) {
    log('=== Agent Fleet on Temporal + PostgreSQL ===');
    await failSoft('postgres', async () => {
      const binaries = await ensureTemporalServerBinaries({
        projectRoot: root,
        env: process.env,
        log,
        allowBuild: false,
      });
      const suffix = randomBytes(4).toString('hex');
      const settings = readPostgresProfileSettings({
        ...process.env,
        TEMPORAL_PG_DATABASE: `af_bench_${suffix}`,
        TEMPORAL_PG_VISIBILITY_DATABASE: `af_bench_${suffix}_vis`,
        TEMPORAL_PG_FRONTEND_PORT: String(await freePostgresServerBasePort()),
      });
      await assertPostgresReachable(settings);
      await setupTemporalSchema({ sqlToolPath: binaries.sqlToolPath, settings, log });
      const server = await startPostgresTemporalServer({
        serverPath: binaries.serverPath,
        projectRoot: root,
        settings,
        searchAttributes: Object.values(SEARCH_ATTRIBUTES),
        log,
      });
      try {
        const pgStack = await startLocalStack({
          temporal: { kind: 'external', address: server.address, namespace: server.namespace },
          activityWorkers: 2,
          log,
        });
        try {
          const steps: LadderStep[] = [];
          for (const rate of ladder) {
            const m = await measureLoad(
              pgStack.apiUrl,
              pgStack.fakeUrl,
              { ...pgStack.pids(), 'temporal-server (pg)': server.pid },
              { rate, durationS: Math.max(2, Math.round(LADDER_STEP_S * scale)), latencyMs: 0 },
              log,
            );
            const c = m.report.counts;
            const pass =
              m.report.latencyMs.queueWait.p99 < 200 &&
              c.lost === 0 &&
              c.refused === 0 &&
              c.completed === c.accepted;
            steps.push({
              rate,
              queueWaitP99Ms: m.report.latencyMs.queueWait.p99,
              e2eP99Ms: m.report.latencyMs.endToEnd.p99,
              completed: c.completed,
              lost: c.lost,
              refused: c.refused,
              pass,
              cpu: m.cpu,
            });
            if (!pass) break;
          }
          results.pg = {
            steps,
            saturationJobsPerS: Math.max(0, ...steps.filter((s) => s.pass).map((s) => s.rate)),
          };
          results.bare.pg = await bareLadder(
            server.address,
            server.namespace,
            ladder,
            Math.max(2, Math.round(LADDER_STEP_S * scale)),
          );
        } finally {
          await pgStack.close();
        }
      } finally {
        await server.stop();
        await dropTemporalDatabases({ sqlToolPath: binaries.sqlToolPath, settings }).catch(
          () => undefined,
        );
      }
    });
  }

  await save();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(String(err instanceof Error ? err.stack : err));
    process.exit(1);
  },
);
