/**
 * `npm run bench`: every figure of the benchmark table, for Agent Fleet (Temporal), the BullMQ
 * peer baseline and the bare Temporal workflow, measured in one run on this machine. The systems
 * alternate round by round (A, B, A, B) so drift on a shared machine hits both. Writes
 * bench/results/*.json, BENCHMARKS.md and the generated part of docs/scaling.md.
 *
 *   npm run bench                      # everything (~13 min on 2 cores)
 *   npm run bench -- --only=10,pg      # a subset: figure numbers, and/or pg (PostgreSQL profile)
 *   npm run bench -- --quick           # smoke run: short steps, one round (not a result)
 *   npm run bench -- --render-from=bench/results/latest.json   # re-render the docs only
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { chaosOptions, type ChaosReport } from '../src/chaos';
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
import { freePostgresServerBasePort } from '../src/temporal/postgres-server-ports';
import { ensureTemporalServerBinaries } from '../src/temporal/temporal-server-binary';
import { startBullmqStack, type BullmqStack } from './lib/bullmq-stack';
import { startDbosStack, type DbosStack } from './lib/dbos-stack';
import { measureDbosCost, measureRestateCost, type PeerCost } from './lib/peer-cost';
import { startRestateStack, type RestateStack } from './lib/restate-stack';
import { JOB_KINDS, measureJobCosts, type JobCostFigure, type JobKind } from './lib/job-cost';
import { steadyRate, summarizeRounds, type LoadSummary } from './lib/load-summary';
import { writeBenchmarksMd } from './lib/markdown';
import { measureGets, measureLoad, measureMemory, type MemoryFigure } from './lib/measure';
import { writeScalingDoc } from './lib/scaling-doc';
import { median, round } from './lib/stats';
import {
  apiLadder,
  bareLadder,
  bullmqSystem,
  dbosSystem,
  oursSystem,
  restateSystem,
  type LadderRunner,
  type LadderStep,
  type System,
} from './lib/systems';

/** Figures `--only` accepts: 1–10 and `pg` (the PostgreSQL profile's saturation and job cost). */
const FIGURES = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'pg'] as const;
type Figure = (typeof FIGURES)[number];

const argsSchema = z.object({
  quick: z.boolean().default(false),
  'skip-pg': z.boolean().default(false),
  only: z
    .string()
    .regex(/^[0-9a-z]+(,[0-9a-z]+)*$/, 'a comma-separated list such as 1,4,10,pg')
    .refine(
      (v) => v.split(',').every((f) => (FIGURES as readonly string[]).includes(f)),
      `figures are ${FIGURES.join(', ')}`,
    )
    .optional(),
  rounds: z.coerce.number().int().min(1).max(6).optional(),
  'write-docs': z.boolean().default(false),
  /** Re-renders BENCHMARKS.md and docs/scaling.md from a saved results file; measures nothing. */
  'render-from': z.string().min(1).optional(),
  'max-minutes': z.coerce.number().positive().max(120).default(25),
});

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** Seconds per rate of the saturation ladders (8-s steps hid backlogs that grow slowly). */
const LADDER_STEP_S = 15;
/** Rates of our stack's and the bare workflow's ladder. */
const LADDER = [10, 15, 20, 25, 30, 40, 50, 75, 100];
/** BullMQ's ladder: coarse, it has held 100 jobs/s on this machine before (time budget). */
const BULLMQ_LADDER = [25, 50, 100];
/** DBOS's and Restate's ladders: coarse like BullMQ's (time budget), from our ladder's rates. */
const PEER_LADDER = [10, 25, 50, 100];

/** Figures of one system. */
export interface SystemFigures {
  f1: { at50: LoadSummary; at200: LoadSummary };
  f2: { fake0: LoadSummary; fake3s: LoadSummary };
  f3: { measured: LoadSummary; jobsPerMinute: number; slots: number };
  f4: { steps: LadderStep[]; saturationJobsPerS: number };
  f5: {
    one: LoadSummary;
    two: LoadSummary;
    oneJobsPerS: number;
    twoJobsPerS: number;
    slotsPerWorker: number;
  };
  f6: LoadSummary;
  f7: ChaosReport;
  f8: GetFigure;
  f9: MemoryFigure;
}

/** GET latency at 100 polls/s, medians over rounds. */
export interface GetFigure {
  rounds: number;
  p50: number;
  p99: number;
  runningP99: number;
  finishedP99: number;
  non200: number;
  cpu: Record<string, number>;
}

/** A ladder's result. */
export interface Ladder {
  steps: LadderStep[];
  saturationJobsPerS: number;
}

/** Everything one bench run measured. */
export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  quick: boolean;
  /** Figures run (all when absent). */
  only?: string[];
  rounds: number;
  settings: {
    ladder: number[];
    bullmqLadder: number[];
    /** DBOS's and Restate's ladder (absent in runs before the two peers were added). */
    peerLadder?: number[];
    ladderStepS: number;
    criterion: string;
  };
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
  dbos?: Partial<SystemFigures>;
  restate?: Partial<SystemFigures>;
  /** Durable writes per chat job of the peers that expose them (figure 10). */
  peerCost?: { dbos?: PeerCost; restate?: PeerCost };
  bare: { dev?: Ladder; pg?: Ladder };
  pg?: Ladder & { error?: string };
  jobCost: { dev?: JobCostFigure; pg?: JobCostFigure };
  errors: string[];
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

/** Highest passing rate of a ladder (0 when none passed). */
const saturationOf = (steps: readonly LadderStep[]) =>
  Math.max(0, ...steps.filter((s) => s.pass).map((s) => s.rate));

/**
 * Saturation ladders run interleaved: at each rate every runner still passing runs its step, the
 * order alternating from rate to rate; a runner stops at its first failing step.
 */
async function interleavedLadders(
  runners: ReadonlyArray<{ runner: LadderRunner; rates: readonly number[] }>,
  stepS: number,
): Promise<Map<string, Ladder>> {
  const steps = new Map<string, LadderStep[]>(runners.map((r) => [r.runner.name, []]));
  const alive = new Set(runners.map((r) => r.runner.name));
  const rates = [...new Set(runners.flatMap((r) => r.rates))].sort((a, b) => a - b);
  for (const [i, rate] of rates.entries()) {
    const order = i % 2 === 0 ? runners : [...runners].reverse();
    for (const { runner, rates: own } of order) {
      if (!alive.has(runner.name) || !own.includes(rate)) continue;
      log(`  ladder ${runner.name} at ${rate}/s`);
      const step = await runner.step(rate, stepS);
      steps.get(runner.name)!.push(step);
      if (!step.pass) alive.delete(runner.name);
    }
  }
  return new Map(
    [...steps].map(([name, s]) => [name, { steps: s, saturationJobsPerS: saturationOf(s) }]),
  );
}

/** `fn` run at most once; later calls get the first call's promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

/** Context shared by the figures. */
interface Run {
  results: BenchResults;
  selected: Set<Figure>;
  scale: number;
  rounds: number;
  quick: boolean;
}

/** A started peer: its system view and how to close its stack (once). */
interface Peer {
  system: System;
  close(): Promise<void>;
}

/** Figures 1–9 on our stack and the peers, alternating; closes every stack at the end. */
async function runSystemFigures(
  run: Run,
  ours: { stack: LocalStack; bare: LadderRunner; close(): Promise<void> },
  peers: readonly Peer[],
): Promise<void> {
  const { selected, scale, rounds, results } = run;
  const d = (s: number) => Math.max(2, Math.round(s * scale));
  const systems: System[] = [oursSystem(ours.stack), ...peers.map((p) => p.system)];
  const into = (sys: System) => (results[sys.name] ??= {});
  /** Round r's order: ours first in odd rounds, the last peer first in even ones. */
  const inOrder = (r: number) => (r % 2 === 1 ? systems : [...systems].reverse());
  const load = (sys: System, o: Parameters<typeof measureLoad>[3]) =>
    measureLoad(sys.url, sys.fakeUrl, sys.pids(), o, log);
  const byRound = async <T>(what: string, f: (sys: System) => Promise<T>) => {
    const out = new Map<System, T[]>(systems.map((s) => [s, []]));
    for (let r = 1; r <= rounds; r += 1)
      for (const sys of inOrder(r)) {
        log(`${sys.name}: ${what}, round ${r}/${rounds}`);
        out.get(sys)!.push(await f(sys));
      }
    return out;
  };
  /** One load setting run for every system, round by round, then summarised per system. */
  const loadRounds = async (what: string, o: Parameters<typeof measureLoad>[3]) => {
    const runs = await byRound(what, (s) => load(s, o));
    return (sys: System) => summarizeRounds(runs.get(sys)!);
  };
  const fail = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      log(`${what} failed: ${String(err instanceof Error ? err.stack : err)}`);
      results.errors.push(
        `${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  };

  if (selected.has('1'))
    await fail('F1', async () => {
      const at50 = await loadRounds('F1 accept latency at 50/s', {
        rate: 50,
        durationS: d(5),
        latencyMs: 0,
      });
      const at200 = await loadRounds('F1 accept latency at 200/s', {
        rate: 200,
        durationS: d(3),
        latencyMs: 0,
      });
      for (const sys of systems) into(sys).f1 = { at50: at50(sys), at200: at200(sys) };
    });
  if (selected.has('8'))
    await fail('F8', async () => {
      const gets = await byRound('F8 GET latency at 100/s', (s) =>
        measureGets(s.url, 100, d(5), s.pids()),
      );
      for (const sys of systems) {
        const g = gets.get(sys)!;
        const m = (f: (x: (typeof g)[number]) => number) => round(median(g.map(f)), 1);
        into(sys).f8 = {
          rounds: g.length,
          p50: m((x) => x.all.p50),
          p99: m((x) => x.all.p99),
          runningP99: m((x) => x.running.p99),
          finishedP99: m((x) => x.finished.p99),
          non200: g.reduce((s, x) => s + x.non200, 0),
          cpu: g.at(-1)!.cpu,
        };
        log(`  ${sys.name} GET p50/p99 ${into(sys).f8!.p50}/${into(sys).f8!.p99} ms`);
      }
    });
  if (selected.has('2'))
    await fail('F2', async () => {
      const fake0 = await loadRounds('F2 overhead, fake 0 ms', {
        rate: 10,
        durationS: d(5),
        latencyMs: 0,
      });
      const fake3s = await loadRounds('F2 overhead, fake 3 s', {
        rate: 10,
        durationS: d(5),
        latencyMs: 3_000,
      });
      for (const sys of systems) into(sys).f2 = { fake0: fake0(sys), fake3s: fake3s(sys) };
    });
  if (selected.has('7'))
    for (const sys of systems)
      await fail(`F7 ${sys.name}`, async () => {
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
        into(sys).f7 = f7;
        log(`  lost ${f7.verification.lost}, resume p50 ${f7.recovery[0]?.resumeMs.p50} ms`);
      });
  if (selected.has('4'))
    await fail('F4', async () => {
      log('F4 saturation ladders (ours, bare Temporal on the same server, the peers), interleaved');
      const ladder = run.quick ? [10, 20] : LADDER;
      const ratesOf = (sys: System) =>
        sys.name === 'ours'
          ? ladder
          : sys.name === 'bullmq'
            ? run.quick
              ? [25]
              : BULLMQ_LADDER
            : run.quick
              ? [10]
              : PEER_LADDER;
      const ladders = await interleavedLadders(
        [
          ...systems.map((sys) => ({
            runner: apiLadder(sys.name, sys.url, sys.fakeUrl, () => sys.pids(), log),
            rates: ratesOf(sys),
          })),
          { runner: ours.bare, rates: ladder },
        ],
        d(LADDER_STEP_S),
      );
      for (const sys of systems) into(sys).f4 = ladders.get(sys.name);
      results.bare.dev = ladders.get('bare');
    });
  if (selected.has('3'))
    for (const sys of systems)
      await fail(`F3 ${sys.name}`, async () => {
        log(`${sys.name}: F3 jobs/minute, one worker, fake 3 s`);
        await sys.setWorkers(1, 200);
        const m = await load(sys, { rate: 40, durationS: d(15), latencyMs: 3_000 });
        into(sys).f3 = {
          measured: summarizeRounds([m]),
          jobsPerMinute: Math.round(steadyRate(m, 4, d(15)) * 60),
          slots: 200,
        };
      });
  if (selected.has('5'))
    for (const sys of systems)
      await fail(`F5 ${sys.name}`, async () => {
        log(`${sys.name}: F5 scaling 1 → 2 workers, 20 slots each`);
        await sys.setWorkers(1, 20);
        const one = await load(sys, { rate: 15, durationS: d(12), latencyMs: 3_000 });
        await sys.setWorkers(2, 20);
        const two = await load(sys, { rate: 15, durationS: d(12), latencyMs: 3_000 });
        into(sys).f5 = {
          one: summarizeRounds([one]),
          two: summarizeRounds([two]),
          oneJobsPerS: steadyRate(one, 4, d(12)),
          twoJobsPerS: steadyRate(two, 4, d(12)),
          slotsPerWorker: 20,
        };
      });
  // 429s wake the fleet-wide rate governor; only the memory figure (which waits it out) follows.
  if (selected.has('6'))
    for (const sys of systems)
      await fail(`F6 ${sys.name}`, async () => {
        log(`${sys.name}: F6 faults`);
        await sys.setWorkers(2, 200);
        const m = await load(sys, {
          rate: 10,
          durationS: d(10),
          latencyMs: 100,
          failMix: { '429:1': 0.1, '529': 0.05 },
        });
        into(sys).f6 = summarizeRounds([m]);
      });
  // Last: its calls are left in flight and each stack is closed right after its memory figure.
  await ours.bare.close();
  for (const sys of systems) {
    if (selected.has('9'))
      await fail(`F9 ${sys.name}`, async () => {
        log(`${sys.name}: F9 memory with ${run.quick ? 200 : 1_000} calls in flight`);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        await sys.setWorkers(1, 1_000);
        into(sys).f9 = await measureMemory(
          sys.url,
          sys.fakeUrl,
          () => sys.workerPid(),
          run.quick ? 200 : 1_000,
          log,
        );
        log(`  ${into(sys).f9!.inFlight} in flight, RSS ${into(sys).f9!.rssMb} MB`);
      });
    if (sys.name === 'ours') await ours.close();
    else await peers.find((p) => p.system === sys)?.close();
  }
}

/** A started peer with its stack, for the figures that read a peer's own store. */
type StartedPeer =
  | { peer: Peer; kind: 'bullmq'; stack: BullmqStack }
  | { peer: Peer; kind: 'dbos'; stack: DbosStack }
  | { peer: Peer; kind: 'restate'; stack: RestateStack };

/**
 * Starts the three peers (BullMQ, DBOS, Restate), each with two worker processes of 200 slots
 * where the system has such processes; a peer that fails to start is reported and left out.
 */
async function startPeers(
  closers: Set<() => Promise<void>>,
  failSoft: (what: string, fn: () => Promise<void>) => Promise<void>,
): Promise<StartedPeer[]> {
  const started: StartedPeer[] = [];
  const add = <S extends { close(): Promise<void> }>(stack: S, system: System) => {
    const close = once(() => stack.close());
    closers.add(close);
    return { system, close };
  };
  await failSoft('starting the BullMQ peer', async () => {
    log('=== BullMQ peer ===');
    const stack = await startBullmqStack({ workers: 2, concurrency: 200 });
    started.push({ peer: add(stack, bullmqSystem(stack)), kind: 'bullmq', stack });
  });
  await failSoft('starting the DBOS peer', async () => {
    log('=== DBOS Transact peer ===');
    const stack = await startDbosStack({ workers: 2, concurrency: 200 });
    started.push({ peer: add(stack, dbosSystem(stack)), kind: 'dbos', stack });
  });
  await failSoft('starting the Restate peer', async () => {
    log('=== Restate peer ===');
    const stack = await startRestateStack();
    started.push({ peer: add(stack, restateSystem(stack)), kind: 'restate', stack });
  });
  return started;
}

/** Figure 10's peer rows: durable writes per chat job where the peer exposes them. */
async function measurePeerCosts(run: Run, peers: readonly StartedPeer[]): Promise<void> {
  const jobs = run.quick ? 10 : 40;
  const cost = (run.results.peerCost ??= {});
  for (const p of peers) {
    if (p.kind === 'dbos') {
      log('=== figure 10: DBOS rows and WAL bytes per chat job ===');
      cost.dbos = await measureDbosCost(p.stack.apiUrl, p.stack.database, jobs, 10);
      log(`  ${JSON.stringify(cost.dbos)}`);
    }
    if (p.kind === 'restate') {
      log('=== figure 10: Restate journal entries per chat job ===');
      cost.restate = await measureRestateCost(p.stack.apiUrl, p.stack.server.adminUrl, jobs, 10);
      log(`  ${JSON.stringify(cost.restate)}`);
    }
  }
}

/** Job-cost settings for a profile. */
function jobCostOptions(run: Run, kinds: readonly JobKind[]) {
  return {
    kinds,
    rounds: run.rounds,
    jobs: run.quick ? 10 : 40,
    rate: 10,
    users: 4,
    turnsPerConversation: 5,
    settleMs: 2_000,
    log,
  };
}

/** The PostgreSQL profile: job cost (figure 10) and saturation against bare, interleaved. */
async function runPostgresProfile(run: Run, root: string): Promise<void> {
  const binaries = await ensureTemporalServerBinaries({
    projectRoot: root,
    env: process.env,
    log,
    allowBuild: true,
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
    const bare = await bareLadder(server.address, server.namespace, () => server.pid, log);
    try {
      {
        log('=== figure 10 on the PostgreSQL profile ===');
        run.results.jobCost.pg = await measureJobCosts(
          {
            profile: 'PostgreSQL',
            client: pgStack.client,
            namespace: server.namespace,
            apiUrl: pgStack.apiUrl,
            // deploy/temporal-postgres/agent-fleet.yaml: metrics on the frontend port + 90.
            metricsUrl: `http://127.0.0.1:${settings.frontendPort + 90}/metrics`,
            serverPid: server.pid,
            workerPids: () => {
              const {
                temporal: _none,
                api: _api,
                'fake-claude': _fake,
                ...workers
              } = pgStack.pids();
              return workers;
            },
            bareTaskQueue: bare.taskQueue,
          },
          jobCostOptions(run, run.quick ? ['bare', 'chat'] : ['bare', 'chat', 'agent']),
        );
      }
      log('=== saturation on the PostgreSQL profile: ours and bare, interleaved ===');
      const ladders = await interleavedLadders(
        [
          {
            runner: apiLadder(
              'ours',
              pgStack.apiUrl,
              pgStack.fakeUrl,
              () => ({ ...pgStack.pids(), 'temporal-server (pg)': server.pid }),
              log,
            ),
            rates: run.quick ? [10, 20] : LADDER,
          },
          { runner: bare, rates: run.quick ? [10, 20] : LADDER },
        ],
        Math.max(2, Math.round(LADDER_STEP_S * run.scale)),
      );
      run.results.pg = ladders.get('ours');
      run.results.bare.pg = ladders.get('bare');
    } finally {
      await bare.close();
      await pgStack.close();
    }
  } finally {
    await server.stop();
    await dropTemporalDatabases({ sqlToolPath: binaries.sqlToolPath, settings }).catch(
      () => undefined,
    );
  }
}

async function main(): Promise<void> {
  const { options } = parseToolArgs(argsSchema, process.argv.slice(2), process.env, 'BENCH', [
    'quick',
    'skip-pg',
    'write-docs',
  ]);
  const root = findProjectRoot();
  const renderFrom = options['render-from'];
  if (renderFrom !== undefined) {
    const saved = JSON.parse(await fs.readFile(renderFrom, 'utf8')) as BenchResults;
    const files = [path.join(root, 'BENCHMARKS.md'), path.join(root, 'docs', 'scaling.md')];
    await writeBenchmarksMd(files[0]!, saved);
    await writeScalingDoc(files[1]!, saved);
    execFileSync(path.join(root, 'node_modules', '.bin', 'prettier'), ['--write', ...files], {
      stdio: 'ignore',
    });
    log(`rendered ${files.map((f) => path.relative(root, f)).join(', ')} from ${renderFrom}`);
    return;
  }
  const selected = new Set<Figure>(
    options.only ? (options.only.split(',') as Figure[]) : [...FIGURES],
  );
  if (options['skip-pg']) selected.delete('pg');
  const rounds = options.rounds ?? (options.quick ? 1 : 2);
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    quick: options.quick,
    ...(options.only ? { only: [...selected] } : {}),
    rounds,
    settings: {
      ladder: options.quick ? [10, 20] : LADDER,
      bullmqLadder: options.quick ? [25] : BULLMQ_LADDER,
      peerLadder: options.quick ? [10] : PEER_LADDER,
      ladderStepS: options.quick ? Math.max(2, Math.round(LADDER_STEP_S * 0.3)) : LADDER_STEP_S,
      criterion: 'queue-wait p99 < 200 ms; none lost, refused or unfinished',
    },
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
      dbos: packageVersion(root, '@dbos-inc/dbos-sdk'),
      restateServer: packageVersion(root, '@restatedev/restate-server'),
      restateSdk: packageVersion(root, '@restatedev/restate-sdk'),
      redis: version('redis-server', ['--version']),
      postgres: version('postgres', ['--version']),
    },
    bare: {},
    jobCost: {},
    errors: [],
  };
  const run: Run = {
    results,
    selected,
    scale: options.quick ? 0.3 : 1,
    rounds,
    quick: options.quick,
  };
  const partial = options.quick || options.only !== undefined;
  const writeDocs = !partial || options['write-docs'];

  const save = async (): Promise<void> => {
    results.finishedAt = new Date().toISOString();
    const dir = path.join(root, 'bench', 'results');
    await fs.mkdir(dir, { recursive: true });
    const name = options.quick
      ? 'quick.json'
      : options.only
        ? `only-${[...selected].join('-')}.json`
        : 'latest.json';
    // Per-job records and histograms would make the file huge; the figures are what is kept.
    const slim = JSON.stringify(
      results,
      (key, value: unknown) =>
        key === 'timeline' || key === 'histograms' || key === 'lostJobIds' ? undefined : value,
      2,
    );
    const files = [path.join(dir, name)];
    await fs.writeFile(files[0]!, `${slim}\n`);
    if (writeDocs) {
      files.push(path.join(root, 'BENCHMARKS.md'), path.join(root, 'docs', 'scaling.md'));
      await writeBenchmarksMd(files[1]!, results);
      await writeScalingDoc(files[2]!, results);
    }
    log(`wrote ${files.map((f) => path.relative(root, f)).join(', ')}`);
    // Generated files follow the repository's formatting (npm test checks it).
    try {
      execFileSync(path.join(root, 'node_modules', '.bin', 'prettier'), ['--write', ...files], {
        stdio: 'ignore',
      });
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
  const failSoft = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      log(`${what} failed: ${String(err instanceof Error ? err.stack : err)}`);
      results.errors.push(
        `${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  };

  // The PostgreSQL profile needs the full server; like `npm test`, build and cache it first (a
  // fresh clone builds it once, which takes minutes) so the build never overlaps a measurement.
  if (selected.has('pg'))
    await failSoft('building the Temporal server for the PostgreSQL profile', async () => {
      log('checking the full Temporal server in .temporal/ (built and cached on first use)');
      await ensureTemporalServerBinaries({
        projectRoot: root,
        env: process.env,
        log,
        allowBuild: true,
      });
    });

  const systemFigures = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].filter((f) =>
    selected.has(f as Figure),
  );
  if (systemFigures.length > 0 || selected.has('10')) {
    log('=== Agent Fleet on the Temporal dev server, bare Temporal on the same server ===');
    const stack = await startLocalStack({
      temporal: { kind: 'dev', metrics: true },
      activityWorkers: 2,
      log,
    });
    const closeStack = once(() => stack.close());
    closers.add(closeStack);
    const bareRunner = await bareLadder(
      stack.temporalAddress,
      stack.namespace,
      stack.temporalPid,
      log,
    );
    const bare = { ...bareRunner, close: once(() => bareRunner.close()) };
    closers.add(bare.close);
    if (selected.has('10'))
      await failSoft('figure 10 (dev server)', async () => {
        log('=== figure 10: a job in Temporal units (bare, chat, agent, conversation turn) ===');
        results.jobCost.dev = await measureJobCosts(
          {
            profile: 'dev server',
            client: stack.client,
            namespace: stack.namespace,
            apiUrl: stack.apiUrl,
            metricsUrl: stack.temporalMetricsUrl!,
            serverPid: stack.temporalPid(),
            workerPids: () => {
              const {
                temporal: _server,
                api: _api,
                'fake-claude': _fake,
                ...workers
              } = stack.pids();
              return workers;
            },
            bareTaskQueue: bare.taskQueue,
          },
          jobCostOptions(run, JOB_KINDS),
        );
      });
    if (systemFigures.length > 0 || selected.has('10')) {
      const peers = await startPeers(closers, failSoft);
      if (selected.has('10'))
        await failSoft('figure 10 (peers)', () => measurePeerCosts(run, peers));
      if (systemFigures.length > 0)
        await failSoft('figures 1–9', () =>
          runSystemFigures(
            run,
            { stack, bare, close: closeStack },
            peers.map((p) => p.peer),
          ),
        );
      for (const p of peers) await p.peer.close();
    }
    await bare.close().catch(() => undefined);
    await closeStack();
    closers.clear();
    await save();
  }

  if (selected.has('pg')) {
    log('=== Agent Fleet on Temporal + PostgreSQL ===');
    await failSoft('postgres', () => runPostgresProfile(run, root));
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
