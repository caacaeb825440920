/**
 * The systems under test as the bench's scenarios see them (our stack, the BullMQ peer) and the
 * saturation ladder's step runners (those two plus the bare Temporal workflow), so a figure can
 * alternate between them round by round.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { runChaos, stackChaosTarget, type chaosOptions, type ChaosReport } from '../../src/chaos';
import type { LocalStack } from '../../src/stack/local-stack';
import type { ManagedProcess } from '../../src/stack/managed-process';
import { runBareStep, startBareWorker } from './bare-driver';
import type { BullmqStack } from './bullmq-stack';
import type { DbosStack } from './dbos-stack';
import type { RestateStack } from './restate-stack';
import { redisPid, startCpuWindow } from './cpu-sampler';
import { measureLoad } from './measure';

/** The systems every figure compares, in table order. */
export const SYSTEM_NAMES = ['ours', 'bullmq', 'dbos', 'restate'] as const;
/** One of {@link SYSTEM_NAMES}. */
export type SystemName = (typeof SYSTEM_NAMES)[number];

/** A system under test. */
export interface System {
  name: SystemName;
  url: string;
  fakeUrl: string;
  pids(): Record<string, number | undefined>;
  /** Restarts the workers with `count` processes and `slots` concurrent calls each. */
  setWorkers(count: number, slots: number): Promise<void>;
  workerPid(): number | undefined;
  chaos(opts: ReturnType<typeof chaosOptions>): Promise<ChaosReport>;
}

/** Our stack. */
export function oursSystem(stack: LocalStack): System {
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

/** The BullMQ peer. */
export function bullmqSystem(stack: BullmqStack): System {
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

/** What a peer baseline's stack offers to {@link peerSystem}. */
export interface PeerStack {
  apiUrl: string;
  fakeUrl: string;
  api: ManagedProcess;
  fake: ManagedProcess;
  workers: ManagedProcess[];
  startWorker(worker: ManagedProcess): Promise<void>;
}

/**
 * A peer baseline as a {@link System}: `concurrencyEnv` is the worker setting that carries the
 * slots (BullMQ's concurrency, DBOS's queue workerConcurrency); without one (Restate: the server
 * drives the service, with no per-process limit) `setWorkers` only restarts the processes it has.
 */
export function peerSystem(
  name: Exclude<SystemName, 'ours'>,
  stack: PeerStack,
  concurrencyEnv: string | undefined,
  otherPids: () => Record<string, number | undefined> = () => ({}),
): System {
  return {
    name,
    url: stack.apiUrl,
    fakeUrl: stack.fakeUrl,
    pids: () => ({
      api: stack.api.pid,
      'fake-claude': stack.fake.pid,
      ...otherPids(),
      ...Object.fromEntries(stack.workers.map((w) => [w.spec.name, w.pid])),
    }),
    async setWorkers(count, slots) {
      await Promise.all(stack.workers.map((w) => w.stop(5_000)));
      for (const [i, w] of stack.workers.entries()) {
        if (concurrencyEnv) w.spec.env[concurrencyEnv] = String(slots);
        if (i < count || stack.workers.length === 1) await stack.startWorker(w);
      }
    },
    workerPid: () => stack.workers[0]!.pid,
    chaos: (opts) =>
      runChaos(
        {
          system: name,
          apiUrl: stack.apiUrl,
          fakeUrl: stack.fakeUrl,
          activityWorkers: stack.workers,
          startWorker: (w) => stack.startWorker(w),
        },
        opts,
      ),
  };
}

/** The DBOS peer (PostgreSQL's postmaster pid is not ours to read; its backends are shared). */
export function dbosSystem(stack: DbosStack): System {
  return peerSystem('dbos', stack, 'DBOS_WORKER_CONCURRENCY');
}

/** The Restate peer, restate-server's CPU included. */
export function restateSystem(stack: RestateStack): System {
  return peerSystem('restate', stack, undefined, () => ({
    'restate-server': stack.server.process.pid,
  }));
}

/** A rate step of a saturation ladder. */
export interface LadderStep {
  rate: number;
  queueWaitP99Ms: number;
  e2eP99Ms: number;
  sent: number;
  completed: number;
  lost: number;
  refused: number;
  pass: boolean;
  cpu?: Record<string, number>;
}

/** The saturation criterion, the same for every system: queue-wait p99 < 200 ms, nothing lost. */
export const SATURATION_CRITERION = 'queue-wait p99 < 200 ms; none lost, refused or unfinished';

/** Runs one rate step of a ladder. */
export interface LadderRunner {
  name: string;
  step(rate: number, durationS: number): Promise<LadderStep>;
  close(): Promise<void>;
}

/** A ladder runner over a system's HTTP API (ours or BullMQ). */
export function apiLadder(
  name: string,
  url: string,
  fakeUrl: string,
  pids: () => Record<string, number | undefined>,
  log: (line: string) => void,
): LadderRunner {
  return {
    name,
    async step(rate, durationS) {
      const m = await measureLoad(url, fakeUrl, pids(), { rate, durationS, latencyMs: 0 }, log);
      const c = m.report.counts;
      return {
        rate,
        queueWaitP99Ms: m.report.latencyMs.queueWait.p99,
        e2eP99Ms: m.report.latencyMs.endToEnd.p99,
        sent: c.sent,
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
    },
    close: () => Promise.resolve(),
  };
}

/** The bare workflow's ladder runner on a server (starts its own worker process). */
export async function bareLadder(
  address: string,
  namespace: string,
  serverPid: () => number | undefined,
  log: (line: string) => void,
): Promise<LadderRunner & { taskQueue: string; worker: ManagedProcess }> {
  const taskQueue = `bare-${randomBytes(4).toString('hex')}`;
  const worker = await startBareWorker(address, namespace, taskQueue);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    name: 'bare',
    taskQueue,
    worker,
    async step(rate, durationS) {
      const cpu = startCpuWindow({ temporal: serverPid(), 'bare-worker': worker.pid });
      const s = await runBareStep(client, taskQueue, rate, durationS);
      const pass = s.queueWaitMs.p99 < 200 && s.completed === s.sent;
      log(
        `  bare ${rate}/s: queue wait p99 ${s.queueWaitMs.p99} ms, completed ${s.completed}/${s.sent}`,
      );
      return {
        rate,
        queueWaitP99Ms: s.queueWaitMs.p99,
        e2eP99Ms: s.endToEndMs.p99,
        sent: s.sent,
        completed: s.completed,
        lost: s.sent - s.completed - s.failed,
        refused: 0,
        pass,
        cpu: cpu.stop().percent,
      };
    },
    async close() {
      await connection.close();
      await worker.stop(5_000);
    },
  };
}
