/**
 * restate-server from the npm package (@restatedev/restate-server) as a child process on free
 * ports with its data in a temporary directory (removed on close), plus the two admin calls the
 * bench needs: registering the service deployment and querying the journal (the admin API's SQL
 * introspection, `POST /query`).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManagedProcess } from '../../../src/stack/managed-process';
import { getFreePort } from '../../../src/temporal/free-port';

/** A running server. */
export interface RestateServer {
  ingressUrl: string;
  adminUrl: string;
  process: ManagedProcess;
  dataDir: string;
  close(): Promise<void>;
}

/** Path of the server binary the npm package ships for this platform. */
export function restateServerBinary(): string {
  const pkg = require.resolve('@restatedev/restate-server-linux-x64/package.json');
  return path.join(path.dirname(pkg), 'bin', 'restate-server');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitHealthy(url: string, server: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.running())
      throw new Error(`restate-server exited:\n${server.output().slice(-2000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`restate-server not healthy at ${url} within ${timeoutMs} ms`);
}

/**
 * Starts a single-node server (all roles, the documented local setup) and waits until its admin
 * API and ingress answer. Server defaults otherwise, but RocksDB's memory budget is lowered from
 * 2 GiB to 512 MiB so it fits beside the other systems on a small machine.
 */
export async function startRestateServer(): Promise<RestateServer> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'af-restate-'));
  const [ingressPort, adminPort, nodePort] = [
    await getFreePort(),
    await getFreePort(),
    await getFreePort(),
  ];
  const server = new ManagedProcess({
    name: 'restate-server',
    script: restateServerBinary(),
    executable: true,
    args: ['--base-dir', dataDir, '--no-logo', '--node-name', 'bench'],
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingressPort}`,
      RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${adminPort}`,
      RESTATE_BIND_ADDRESS: `127.0.0.1:${nodePort}`,
      RESTATE_LISTEN_MODE: 'tcp',
      RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE: '512MiB',
      RESTATE_DISABLE_TELEMETRY: 'true',
      RESTATE_LOG_DISABLE_ANSI_CODES: 'true',
    },
    killWithParent: true,
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const ingressUrl = `http://127.0.0.1:${ingressPort}`;
  const close = async () => {
    await server.stop(10_000);
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  try {
    server.start();
    await waitHealthy(`${adminUrl}/health`, server, 120_000);
    await waitHealthy(`${ingressUrl}/restate/health`, server, 120_000);
  } catch (err) {
    await close();
    throw err;
  }
  return { ingressUrl, adminUrl, process: server, dataDir, close };
}

/** Registers (or re-registers) the service deployment at `serviceUrl`. */
export async function registerDeployment(adminUrl: string, serviceUrl: string): Promise<void> {
  const res = await fetch(`${adminUrl}/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uri: serviceUrl, force: true }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`registering ${serviceUrl} failed: ${res.status} ${text.slice(0, 300)}`);
}

/** Runs an introspection query on the admin API; returns the rows. */
export async function queryRestate<T = Record<string, unknown>>(
  adminUrl: string,
  sql: string,
): Promise<T[]> {
  const res = await fetch(`${adminUrl}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: sql }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`query failed: ${res.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { rows: T[] }).rows;
}

/**
 * Journal entries of the given jobs' `run` invocations, by entry type, from `sys_journal` (the
 * `status` reads are invocations of their own and are left out, like our API's describe calls).
 */
export async function journalEntries(
  adminUrl: string,
  workflow: string,
  keys: readonly string[],
): Promise<{ invocations: number; entries: number; byType: Record<string, number> }> {
  if (keys.some((k) => !/^[0-9a-f-]{36}$/.test(k))) throw new Error('keys must be job ids');
  const list = keys.map((k) => `'${k}'`).join(',');
  const rows = await queryRestate<{ entry_type: string; n: number }>(
    adminUrl,
    `SELECT j.entry_type AS entry_type, COUNT(*) AS n FROM sys_journal j JOIN sys_invocation i ON j.id = i.id ` +
      `WHERE i.target_service_name = '${workflow}' AND i.target_handler_name = 'run' ` +
      `AND i.target_service_key IN (${list}) GROUP BY j.entry_type`,
  );
  const inv = await queryRestate<{ n: number }>(
    adminUrl,
    `SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_name = '${workflow}' ` +
      `AND target_handler_name = 'run' AND target_service_key IN (${list})`,
  );
  const byType = Object.fromEntries(rows.map((r) => [r.entry_type, Number(r.n)]));
  return {
    invocations: Number(inv[0]?.n ?? 0),
    entries: Object.values(byType).reduce((a, b) => a + b, 0),
    byType,
  };
}
