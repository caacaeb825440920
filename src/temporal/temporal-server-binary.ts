import { spawn } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Release of the full Temporal server we build: the same server version the dev server (CLI
 * v1.5.1) embeds, so workflows behave identically in both profiles. Its go.mod has no `replace`
 * directive, so `go install module@version` accepts it.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';

/** The server and its SQL schema tool, with the file names we give them in `.temporal/bin`. */
const GO_PACKAGES = [
  { pkg: 'go.temporal.io/server/cmd/server', built: 'server', name: 'temporal-server' },
  { pkg: 'go.temporal.io/server/cmd/tools/sql', built: 'sql', name: 'temporal-sql-tool' },
] as const;

/** Paths of the two executables of the PostgreSQL profile. */
export interface TemporalServerBinaries {
  /** `temporal-server` (go.temporal.io/server/cmd/server). */
  serverPath: string;
  /** `temporal-sql-tool` (go.temporal.io/server/cmd/tools/sql). */
  sqlToolPath: string;
}

/** Options of {@link ensureTemporalServerBinaries}. */
export interface EnsureServerBinariesOptions {
  /** Repository root; binaries are cached in `<projectRoot>/.temporal/bin`. */
  projectRoot: string;
  /** Environment searched for `go` (PATH) and passed to it. */
  env: NodeJS.ProcessEnv;
  /** Receives human-readable progress lines. */
  log: (line: string) => void;
  /** Build with `go install` when missing. Default `true`; tests pass `false` to fail fast. */
  allowBuild?: boolean;
}

const STALE_LOCK_MS = 30 * 60_000;
const BUILD_TIMEOUT_MS = 40 * 60_000;
const PROGRESS_INTERVAL_MS = 15_000;

/** Where the project keeps the server binaries. */
export function projectServerBinaries(projectRoot: string): TemporalServerBinaries {
  const dir = path.join(projectRoot, '.temporal', 'bin');
  return {
    serverPath: path.join(dir, 'temporal-server'),
    sqlToolPath: path.join(dir, 'temporal-sql-tool'),
  };
}

/**
 * Returns the Temporal server and SQL tool in `<projectRoot>/.temporal/bin`, building both from
 * the Go module proxy first if either is missing (`go install …@v1.29.1`; about 4 minutes on two
 * cores, seconds with a warm Go build cache). A lock directory keeps concurrent callers from
 * building twice. Nothing from the module is committed: the build reads the module cache only.
 *
 * @throws Error naming what is missing and how to get it when the binaries are absent and
 *   cannot be built.
 */
export async function ensureTemporalServerBinaries(
  opts: EnsureServerBinariesOptions,
): Promise<TemporalServerBinaries> {
  const target = projectServerBinaries(opts.projectRoot);
  if (await haveBoth(target)) return target;
  const goBinary = await findGo(opts.env);
  if (goBinary === undefined || opts.allowBuild === false) {
    throw new Error(
      `The Temporal server is not built: ${target.serverPath} and/or ${target.sqlToolPath} ` +
        `are missing. Build them with \`node dist/bin/install-temporal-server.js\` (needs Go ` +
        `1.25+; .ci/run does this before the tests)` +
        (goBinary === undefined
          ? ' — and no `go` was found on PATH or in /usr/local/go/bin.'
          : '.'),
    );
  }
  await withBuildLock(opts, target, () => build(opts, goBinary, target));
  return target;
}

async function haveBoth(target: TemporalServerBinaries): Promise<boolean> {
  return (await isExecutable(target.serverPath)) && (await isExecutable(target.sqlToolPath));
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `go` on PATH, else the standard install location (CI shells often lack it on PATH). */
async function findGo(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  for (const dir of [...dirs, '/usr/local/go/bin']) {
    const candidate = path.join(dir, 'go');
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Runs `fn` holding `.temporal/server-build.lock` (atomic mkdir); re-checks after waiting. */
async function withBuildLock(
  opts: EnsureServerBinariesOptions,
  target: TemporalServerBinaries,
  fn: () => Promise<void>,
): Promise<void> {
  const lockDir = path.join(opts.projectRoot, '.temporal', 'server-build.lock');
  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await lockIsStale(lockDir)) {
        await fs.rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) opts.log('Another process is building the Temporal server; waiting…');
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      continue;
    }
    try {
      await fs.writeFile(path.join(lockDir, 'pid'), String(process.pid));
      if (await haveBoth(target)) return;
      await fn();
      return;
    } finally {
      await fs.rm(lockDir, { recursive: true, force: true });
    }
  }
}

async function lockIsStale(lockDir: string): Promise<boolean> {
  try {
    const stat = await fs.stat(lockDir);
    if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number(await fs.readFile(path.join(lockDir, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - stat.mtimeMs > 60_000;
    try {
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'EPERM';
    }
  } catch {
    return false; // The lock vanished meanwhile: retry.
  }
}

/** One `go install` of both packages into a staging GOBIN, then atomic renames into place. */
async function build(
  opts: EnsureServerBinariesOptions,
  goBinary: string,
  target: TemporalServerBinaries,
): Promise<void> {
  const { log } = opts;
  const staging = await fs.mkdtemp(path.join(opts.projectRoot, '.temporal', 'server-build-'));
  try {
    const args = ['install', ...GO_PACKAGES.map(({ pkg }) => `${pkg}@${TEMPORAL_SERVER_VERSION}`)];
    log(
      `Building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool from the Go ` +
        'module proxy into .temporal/bin (first run only; about 4 minutes on 2 cores)…',
    );
    log(`$ GOBIN=${staging} ${goBinary} ${args.join(' ')}`);
    const started = Date.now();
    await runGo(goBinary, args, staging, opts.env, log, started);
    await fs.mkdir(path.dirname(target.serverPath), { recursive: true });
    for (const { built, name } of GO_PACKAGES) {
      await fs.rename(path.join(staging, built), path.join(path.dirname(target.serverPath), name));
    }
    log(
      `Built the Temporal server ${TEMPORAL_SERVER_VERSION} in ` +
        `${Math.round((Date.now() - started) / 1000)} s: ${target.serverPath}, ${target.sqlToolPath}`,
    );
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

function runGo(
  goBinary: string,
  args: string[],
  gobin: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  started: number,
): Promise<void> {
  // cwd outside any go.mod, so `go install pkg@version` runs in module-aware global mode.
  const child = spawn(goBinary, args, {
    cwd: gobin,
    env: { ...env, GOBIN: gobin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const progress = setInterval(
    () =>
      log(`  …still building the Temporal server (${Math.round((Date.now() - started) / 1000)} s)`),
    PROGRESS_INTERVAL_MS,
  );
  const timeout = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return new Promise<void>((resolve, reject) => {
    const finish = (err?: Error): void => {
      clearInterval(progress);
      clearTimeout(timeout);
      process.removeListener('exit', killOnExit);
      if (err) reject(err);
      else resolve();
    };
    child.once('error', (err) => finish(err));
    child.once('close', (code, signal) => {
      if (code === 0) finish();
      else
        finish(
          new Error(
            `go ${args.join(' ')} failed (${code ?? signal}). Last output:\n${tail.join('\n')}`,
          ),
        );
    });
  });
}
