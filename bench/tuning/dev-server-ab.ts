/**
 * A/B driver of the dev server's tuning (docs/temporal-server.md): for each variant of dynamic
 * config and SQLite pragmas, a fresh file-backed dev server, the bare workflow (one no-op activity)
 * at a fixed offered rate, and the server's CPU time from /proc/<pid>/stat over the whole window,
 * drain included, divided by the workflows completed. Variants alternate in rounds (A, B, A, B) so
 * drift on a shared machine hits all of them; the load average is printed with every sample.
 *
 * Usage: node dist/bench-build/bench/tuning/dev-server-ab.js [--rate 10] [--duration 20]
 *   [--rounds 2] [--variants base,current] [--system bare|stack]
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  DEV_SERVER_DYNAMIC_CONFIG,
  DEV_SERVER_SQLITE_PRAGMAS,
  startDevServer,
} from '../../src/temporal/dev-server';
import { getFreePort } from '../../src/temporal/free-port';
import { ensureTemporalBinary } from '../../src/temporal/temporal-binary';
import { findProjectRoot } from '../../src/stack/project-root';
import { startLocalStack } from '../../src/stack/local-stack';
import { runBareStep, startBareWorker } from '../lib/bare-driver';
import { measureLoad } from '../lib/measure';

/** One configuration under test. */
interface Variant {
  dynamicConfig: Record<string, string | number | boolean>;
  sqlitePragmas: Record<string, string>;
}

/** The configuration before this tuning (what the launcher set until then). */
const BASE: Variant = {
  dynamicConfig: {
    'matching.useNewMatcher': true,
    'matching.enableFairness': true,
    'matching.numTaskqueueReadPartitions': 1,
    'matching.numTaskqueueWritePartitions': 1,
    'frontend.namespaceRPS.visibility': 100,
  },
  sqlitePragmas: { journal_mode: 'wal', synchronous: 'normal' },
};

const VARIANTS: Record<string, Variant> = {
  base: BASE,
  // The CLI forces a search-attribute cache refresh from SQLite on every read (its default).
  'sa-cache': {
    ...BASE,
    dynamicConfig: {
      ...BASE.dynamicConfig,
      'system.forceSearchAttributesCacheRefreshOnRead': false,
    },
  },
  pragmas: {
    ...BASE,
    sqlitePragmas: {
      ...BASE.sqlitePragmas,
      cache_size: '-65536',
      mmap_size: '268435456',
      temp_store: 'memory',
    },
  },
  // Larger mutable-state and events caches (the dev server sets 8096 entries / 512 KiB).
  caches: {
    ...BASE,
    dynamicConfig: {
      ...BASE.dynamicConfig,
      'history.hostLevelCacheMaxSize': 32_768,
      'history.eventsCacheMaxSizeBytes': 16 * 1024 * 1024,
    },
  },
  // What the launcher sets now.
  current: { dynamicConfig: DEV_SERVER_DYNAMIC_CONFIG, sqlitePragmas: DEV_SERVER_SQLITE_PRAGMAS },
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** utime + stime of a pid in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function sample(binaryPath: string, name: string, rate: number, durationS: number) {
  const variant = VARIANTS[name];
  if (!variant) throw new Error(`unknown variant ${name}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dev-tuning-'));
  const server = await startDevServer({
    binaryPath,
    port: await getFreePort(),
    uiPort: false,
    dbFilename: path.join(dir, 'temporal.sqlite'),
    dynamicConfig: variant.dynamicConfig,
    sqlitePragmas: variant.sqlitePragmas,
    reuseExisting: false,
    log: () => undefined,
  });
  const taskQueue = `tuning-${name}`;
  const worker = await startBareWorker(server.address, server.namespace, taskQueue);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  try {
    // Warm-up: first isolate, caches, SQLite pages.
    await runBareStep(client, taskQueue, rate, 3);
    const cpu0 = cpuMs(server.pid!);
    const t0 = Date.now();
    const step = await runBareStep(client, taskQueue, rate, durationS);
    const serverCpuMs = cpuMs(server.pid!) - cpu0;
    const windowS = (Date.now() - t0) / 1000;
    return {
      variant: name,
      rate,
      sent: step.sent,
      completed: step.completed,
      serverCpuMsPerJob: Math.round((serverCpuMs / Math.max(1, step.completed)) * 100) / 100,
      serverCpuPct: Math.round((serverCpuMs / 10 / windowS) * 10) / 10,
      queueWaitP50: step.queueWaitMs.p50,
      queueWaitP99: step.queueWaitMs.p99,
      loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10),
    };
  } finally {
    await connection.close();
    await worker.stop(5_000);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Our stack (API, workers, fake Claude) on a dev server with `name`'s config, plain chat jobs. */
async function sampleStack(name: string, rate: number, durationS: number) {
  const variant = VARIANTS[name];
  if (!variant) throw new Error(`unknown variant ${name}`);
  const stack = await startLocalStack({
    temporal: { kind: 'dev', tuning: variant },
    activityWorkers: 1,
  });
  try {
    const pid = stack.temporalPid()!;
    await measureLoad(
      stack.apiUrl,
      stack.fakeUrl,
      {},
      { rate, durationS: 3, quiet: true },
      () => undefined,
    );
    const cpu0 = cpuMs(pid);
    const m = await measureLoad(
      stack.apiUrl,
      stack.fakeUrl,
      {},
      { rate, durationS, quiet: true },
      () => undefined,
    );
    const completed = m.report.counts.completed;
    return {
      variant: name,
      system: 'stack',
      rate,
      sent: m.report.counts.sent,
      completed,
      serverCpuMsPerJob: Math.round(((cpuMs(pid) - cpu0) / Math.max(1, completed)) * 100) / 100,
      queueWaitP50: m.report.latencyMs.queueWait.p50,
      queueWaitP99: m.report.latencyMs.queueWait.p99,
      loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10),
    };
  } finally {
    await stack.close();
  }
}

async function main(): Promise<void> {
  const rate = Number(arg('rate', '10'));
  const durationS = Number(arg('duration', '20'));
  const rounds = Number(arg('rounds', '2'));
  const names = arg('variants', 'base,current').split(',');
  const binaryPath = await ensureTemporalBinary({
    projectRoot: findProjectRoot(),
    env: process.env,
    log: () => undefined,
  });
  const results: Array<{ variant: string; serverCpuMsPerJob: number }> = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const name of names) {
      const result =
        arg('system', 'bare') === 'stack'
          ? await sampleStack(name, rate, durationS)
          : await sample(binaryPath, name, rate, durationS);
      console.log(JSON.stringify({ round, ...result }));
      results.push(result);
    }
  }
  const base = names[0]!;
  const mean = (name: string) => {
    const rows = results.filter((r) => r.variant === name);
    return rows.reduce((s, r) => s + r.serverCpuMsPerJob, 0) / rows.length;
  };
  for (const name of names) {
    console.log(
      `${name}: server CPU ${mean(name).toFixed(2)} ms/job (×${(mean(name) / mean(base)).toFixed(2)} of ${base})`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
