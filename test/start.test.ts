/**
 * `npm start` end to end: the real entry point spawned as a process brings up its own Temporal
 * dev server, the fake Claude, the API and the workers; the printed curl's request completes;
 * SIGTERM stops everything and leaves no orphan process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getFreePort } from '../src/temporal/free-port';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { commandLine, listeningSockets } from './helpers/listening-sockets';
import { isAlive, killAllSpawned, spawnEntryPoint } from './helpers/processes';

/** Every descendant pid of `pid` (children, grandchildren, …). */
function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

let tmp: string;

/** The environment of an `npm start` on free ports with its own SQLite file. */
async function startEnv(dbFile: string, activityWorkers: number): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(await getFreePort()),
    TEMPORAL_DEV_PORT: String(await getFreePort()),
    TEMPORAL_UI_PORT: String(await getFreePort()),
    FAKE_CLAUDE_PORT: String(await getFreePort()),
    TEMPORAL_DB_FILE: dbFile,
    ACTIVITY_WORKERS: String(activityWorkers),
    LOG_LEVEL: 'warn',
  };
  // npm start must bring up its own Temporal and fake Claude, whatever the test run uses.
  for (const name of [
    'TEMPORAL_ADDRESS',
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_BASE_URL',
    'TEMPORAL_CLI_PATH',
  ])
    delete env[name];
  env.TEMPORAL_CLI_PATH =
    process.env.TEMPORAL_CLI_PATH ?? path.resolve(__dirname, '..', '.temporal', 'bin', 'temporal');

  return env;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'agent-fleet-start-'));
});

afterAll(() => {
  killAllSpawned();
  rmSync(tmp, { recursive: true, force: true });
});

it('runs the whole stack, answers the printed curl, and stops cleanly on SIGTERM', async () => {
  const env = await startEnv(path.join(tmp, 'start.sqlite'), 2);
  const start = spawnEntryPoint('start', [], env);
  await start.waitForOutput(/ready\. Ctrl-C stops everything\./, 120_000);
  const output = start.output();
  expect(output).toMatch(/FAKE Claude/);
  const apiUrl = /API:\s+(http:\/\/\S+)/.exec(output)![1]!;
  // The banner leads with the web console, served by the API at `/`.
  const consoleUrl = /Console:\s+(http:\/\/\S+)/.exec(output)![1]!;
  expect(consoleUrl).toBe(`${apiUrl}/`);
  expect(output.indexOf('Console:')).toBeLessThan(output.indexOf('API:'));
  const consolePage = await fetch(consoleUrl);
  expect(consolePage.status).toBe(200);
  await expect(consolePage.text()).resolves.toContain('<title>Agent Fleet console</title>');
  expect(output).toMatch(/Temporal UI:\s+http:\/\/127\.0\.0\.1:\d+/);
  // The tests' PostgreSQL listens on 127.0.0.1:5432, so npm start counts usage there.
  expect(output).toMatch(/usage ledger: PostgreSQL at postgres:\/\/127\.0\.0\.1:5432\/agent_fleet/);
  const curl = /curl -s -X POST (\S+) .* -d '(.*)'/.exec(output)!;
  expect(curl[1]).toBe(`${apiUrl}/chat`);
  const processes = JSON.parse(/Processes:\s+(\{.*\})/.exec(output)![1]!) as Record<string, number>;
  expect(Object.keys(processes).sort()).toEqual([
    'api',
    'temporal',
    'worker-activities-1',
    'worker-activities-2',
    'worker-workflows',
  ]);

  // The request the banner tells a newcomer to paste.
  const accepted = await postJson<{ job_id: string; status: string }>(
    curl[1]!,
    JSON.parse(curl[2]!),
  );
  expect(accepted.status).toBe(202);
  expect(accepted.body.status).toBe('queued');
  const job = await pollUntil<JobBody>(
    `${apiUrl}/chat/${accepted.body.job_id}`,
    isFinished,
    60_000,
  );
  expect(job.status).toBe('completed');
  expect(job.response).toContain('425');
  // Its tokens were committed before it completed (the database outlives runs: at least these).
  const user = (JSON.parse(curl[2]!) as { user_id: string }).user_id;
  const usage = await requestJson<{ jobs: number; today: { tokens: number } }>(
    `${apiUrl}/users/${user}/usage`,
  );
  expect(usage.body.jobs).toBeGreaterThanOrEqual(1);
  expect(usage.body.today.tokens).toBeGreaterThanOrEqual(
    job.usage!.input_tokens + job.usage!.output_tokens,
  );

  const tree = descendants(start.child.pid!);
  expect(tree.length).toBeGreaterThanOrEqual(5); // api, 3 workers, temporal dev server
  for (const pid of Object.values(processes)) expect(tree).toContain(pid);

  // Private internals: beyond loopback only the API and Temporal (server and UI) listen. Worker
  // probe, metrics and live-text ports, the SDK exporter and the fake Claude stay on loopback.
  const temporalPids = tree.filter((pid) => commandLine(pid).includes('start-dev'));
  expect(temporalPids).toHaveLength(1);
  const sockets = listeningSockets([start.child.pid!, ...tree]);
  const owner = (pid: number) =>
    temporalPids.includes(pid)
      ? 'temporal'
      : pid === start.child.pid
        ? 'start'
        : (Object.entries(processes).find(([, p]) => p === pid)?.[0] ?? `pid ${pid}`);
  const exposed = sockets
    .filter((s) => !s.loopback)
    .map((s) => `${owner(s.pid)} ${s.address}:${s.port}`);
  expect(exposed.filter((s) => !/^(api|temporal) /.test(s))).toEqual([]);
  expect(exposed).toContain(`api 0.0.0.0:${env.PORT}`);
  // Each worker does listen (so the check above saw its sockets), on loopback only.
  for (const name of ['worker-workflows', 'worker-activities-1', 'worker-activities-2']) {
    const own = sockets.filter((s) => s.pid === processes[name]);
    expect({ name, listening: own.length > 0 }).toEqual({ name, listening: true });
  }

  start.child.kill('SIGTERM');
  const exit = await start.exited();
  expect(exit).toEqual({ code: 0, signal: null });
  expect(start.output()).toMatch(/stopped/);
  // Nothing the stack started survives it.
  const deadline = Date.now() + 10_000;
  while (tree.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(tree.filter(isAlive)).toEqual([]);
});

it('restarts a SIGKILLed dev server on the same SQLite file and port, and a running job completes', async () => {
  const env = await startEnv(path.join(tmp, 'supervised.sqlite'), 1);
  const start = spawnEntryPoint('start', [], env);
  await start.waitForOutput(/ready\. Ctrl-C stops everything\./, 120_000);
  const apiUrl = /API:\s+(http:\/\/\S+)/.exec(start.output())![1]!;
  const temporalAddress = /Temporal dev server at (\S+)/.exec(start.output())![1]!;
  const processes = JSON.parse(/Processes:\s+(\{.*\})/.exec(start.output())![1]!) as Record<
    string,
    number
  >;
  const temporalPid = processes.temporal!;

  // A slow job, running (its model call started) when the server dies.
  const accepted = await postJson<{ job_id: string }>(`${apiUrl}/chat`, {
    user_id: 'supervised',
    message: 'Survive this [[fake latency_ms=6000]]',
  });
  expect(accepted.status).toBe(202);
  const jobUrl = `${apiUrl}/chat/${accepted.body.job_id}`;
  await pollUntil<JobBody>(jobUrl, (job) => job.status === 'processing', 30_000);

  process.kill(temporalPid, 'SIGKILL');
  // The acceptance bound of the supervised server (issue 14): back within 15 s.
  const restarted = await start.waitForOutput(/temporal restarted \(pid (\d+)\)/, 15_000);
  const newPid = Number(restarted[1]);
  expect(newPid).not.toBe(temporalPid);
  expect(isAlive(newPid)).toBe(true);
  expect(start.output()).toMatch(/temporal was killed by SIGKILL; restarting/);
  // Same port: the API was given the address once, at start, and is ready through it again.
  await pollUntil<{ status: string }>(`${apiUrl}/readyz`, () => true, 60_000);
  expect(env.TEMPORAL_DEV_PORT).toBe(temporalAddress.split(':').pop());

  // Same SQLite file: the job started before the crash is still there, and finishes.
  const job = await pollUntil<JobBody>(jobUrl, isFinished, 90_000);
  expect(job.status).toBe('completed');

  start.child.kill('SIGTERM');
  expect(await start.exited()).toEqual({ code: 0, signal: null });
  expect(isAlive(newPid)).toBe(false);
});
