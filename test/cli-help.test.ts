/**
 * Every entry point in src/bin answers `--help` with its usage (flags, environment, an example),
 * exits 0 and starts nothing; an unknown flag fails naming `--help`. Each command runs built
 * (`node dist/bin/<name>.js`) in a process group of its own, so "nothing started" is checked as
 * "the group is empty once the command has exited": a server, worker or dev server it spawned
 * would still be in it.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const srcBin = path.join(root, 'src', 'bin');
const distBin = path.join(root, 'dist', 'bin');

/** Each entry point and a phrase of its synopsis (how a user runs it). */
const ENTRY_POINTS: Record<string, string> = {
  api: 'npm run api',
  worker: 'npm run worker -- [--role workflows|activities|all]',
  start: 'npm start',
  'fake-claude': 'npm run fake-claude',
  'temporal-dev': 'npm run temporal',
  'stack-postgres': 'npm run stack:postgres',
  loadtest: 'npm run loadtest -- [flags]',
  chaos: 'npm run chaos -- [flags]',
  chat: 'npm run chat -- [flags] "message"',
  'api-key': 'npm run api-key -- --user <id>',
  'install-temporal': 'node dist/bin/install-temporal.js',
  'install-temporal-server': 'node dist/bin/install-temporal-server.js',
  'record-replay-fixtures': 'npm run fixtures:record -- --tag <tag>',
  healthcheck: 'node dist/bin/healthcheck.js',
  'bundle-workflows': 'node dist/bin/bundle-workflows.js',
};

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether any process of the command's group was still alive after it exited. */
  leftBehind: boolean;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Runs `node dist/bin/<name>.js args…` as the leader of a new process group. */
function run(name: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(distBin, `${name}.js`), ...args], {
      cwd: root,
      env: { ...process.env, DEBUG: '' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A command that starts something instead of answering never exits: stop its whole group.
    const timer = setTimeout(() => {
      if (child.pid !== undefined && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    }, 30_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const pgid = child.pid as number;
      const leftBehind = groupAlive(pgid);
      if (leftBehind) process.kill(-pgid, 'SIGKILL');
      resolve({ code, signal, stdout, stderr, leftBehind });
    });
  });
}

it('lists every entry point of src/bin (a module that exports nothing)', () => {
  const entryPoints = readdirSync(srcBin)
    .filter((file) => file.endsWith('.ts'))
    .filter((file) => !/^export /m.test(readFileSync(path.join(srcBin, file), 'utf8')))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();
  expect(entryPoints).toEqual(Object.keys(ENTRY_POINTS).sort());
});

describe.each(Object.entries(ENTRY_POINTS))('%s', (name, synopsis) => {
  it('--help prints its usage, exits 0 and leaves no process behind', async () => {
    const result = await run(name, ['--help']);
    expect(result).toMatchObject({ code: 0, signal: null, leftBehind: false });
    expect(result.stdout).toContain(`Usage: ${synopsis}`);
    expect(result.stdout).toMatch(/\n {2}-h, --help +print this help and exit\n/);
    expect(result.stdout).toMatch(/\nExample:\n {2}\S.*\n$/);
    // Usage goes to stdout; nothing else is printed (no start-up logs, no warnings).
    expect(result.stderr).toBe('');
  });

  it('an unknown flag fails naming --help and leaves no process behind', async () => {
    const result = await run(name, ['--no-such-flag']);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.leftBehind).toBe(false);
    expect(result.stderr).toContain('--no-such-flag');
    expect(result.stderr).toContain('--help');
    expect(result.stdout).toBe('');
  });
});

it('the usage of a command with flags lists each flag, its environment variable and default', async () => {
  const result = await run('loadtest', ['-h']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/--rate <value> +.*\[env LOADTEST_RATE; default 10\]/);
  expect(result.stdout).toMatch(/--allow-remote +.*\[env LOADTEST_ALLOW_REMOTE\]/);
});

it('the usage of a service lists its environment settings with their defaults', async () => {
  const result = await run('worker', ['--help']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/--role <value> +.*\[default all\]/);
  expect(result.stdout).toMatch(
    /\nEnvironment .*\n(.*\n)* {2}ACTIVITY_TASK_QUEUE +.*\[default agent-fleet-claude\]/,
  );
});
