import { spawn } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Temporal CLI tag we build (dev server = Temporal Server 1.29.1, Web UI 2.42.1).
 *
 * Pinned because the dynamic config keys we rely on (`matching.useNewMatcher`,
 * `matching.enableFairness`) were verified against this server version. Later CLI tags carry a
 * `replace` directive in go.mod, which `go install module@version` refuses.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Tags tried, in order, if building {@link TEMPORAL_CLI_VERSION} fails. */
export const TEMPORAL_CLI_FALLBACK_VERSIONS: readonly string[] = ['v1.5.0', 'v1.4.1'];

/** Go package path of the Temporal CLI main package. */
export const TEMPORAL_CLI_GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

/** Options of {@link ensureTemporalBinary}. */
export interface EnsureTemporalBinaryOptions {
  /** Repository root; the binary is cached in `<projectRoot>/.temporal/bin`. */
  projectRoot: string;
  /** Environment to read `TEMPORAL_CLI_PATH` and `PATH` from (and to pass to `go`). */
  env: NodeJS.ProcessEnv;
  /** Receives human-readable progress lines. */
  log: (line: string) => void;
  /** Build the CLI with `go install` when it is not found. Default `true`. */
  allowBuild?: boolean;
}

const IS_WINDOWS = process.platform === 'win32';
const EXE_SUFFIX = IS_WINDOWS ? '.exe' : '';
/** A build holding the lock longer than this is presumed dead (its owner crashed). */
const STALE_LOCK_MS = 30 * 60_000;
/** Give up on a single `go install` after this long. */
const BUILD_TIMEOUT_MS = 30 * 60_000;
const PROGRESS_INTERVAL_MS = 15_000;

/** Path where the project keeps its own copy of the CLI. */
export function projectTemporalBinaryPath(projectRoot: string): string {
  return path.join(projectRoot, '.temporal', 'bin', `temporal${EXE_SUFFIX}`);
}

/**
 * Finds the Temporal CLI binary, building it from the Go module proxy if necessary.
 *
 * Resolution order:
 * 1. `TEMPORAL_CLI_PATH` (if set it must point at an executable file, otherwise this throws —
 *    an explicit setting that is wrong should not be silently ignored);
 * 2. `<projectRoot>/.temporal/bin/temporal`;
 * 3. `temporal` on `PATH`;
 * 4. if `go` is on `PATH` and `allowBuild` is not false: `go install` of
 *    {@link TEMPORAL_CLI_VERSION} (then the fallback tags) into `<projectRoot>/.temporal/bin`,
 *    guarded by a lock directory so concurrent callers build only once.
 *
 * @returns Absolute path of an executable Temporal CLI.
 * @throws Error explaining how to install the CLI (or point at an existing server) when none of
 *   the above works.
 */
export async function ensureTemporalBinary(opts: EnsureTemporalBinaryOptions): Promise<string> {
  const { projectRoot, env, log } = opts;
  const allowBuild = opts.allowBuild ?? true;

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit !== undefined && explicit !== '') {
    const resolved = path.resolve(explicit);
    if (await isExecutableFile(resolved)) return resolved;
    throw new Error(
      `TEMPORAL_CLI_PATH is set to "${explicit}", but that is not an executable file. ` +
        `Fix or unset TEMPORAL_CLI_PATH.\n\n${installInstructions(projectRoot)}`,
    );
  }

  const projectBinary = projectTemporalBinaryPath(projectRoot);
  if (await isExecutableFile(projectBinary)) return projectBinary;

  const onPath = await findOnPath('temporal', env);
  if (onPath !== undefined) return onPath;

  const goBinary = await findOnPath('go', env);
  if (goBinary !== undefined && allowBuild) {
    return buildWithLock({ projectRoot, env, log, goBinary });
  }

  const why =
    goBinary === undefined
      ? 'Go is not installed (no `go` on PATH), so it cannot be built automatically either.'
      : 'Building it with Go was disabled for this call (allowBuild: false).';
  throw new Error(
    `Temporal CLI not found: TEMPORAL_CLI_PATH is not set, ${projectBinary} does not exist and ` +
      `there is no \`temporal\` on PATH. ${why}\n\n${installInstructions(projectRoot)}`,
  );
}

/** The "how to get the CLI" part of every error message. */
function installInstructions(projectRoot: string): string {
  const binDir = path.join(projectRoot, '.temporal', 'bin');
  return [
    'To get the Temporal CLI (which provides the local dev server), do ONE of:',
    `  1. Install Go 1.25+ (https://go.dev/dl/) and rerun: the CLI ${TEMPORAL_CLI_VERSION} is then built`,
    `     automatically into ${binDir} (first run only, a few minutes). To do it by hand:`,
    `     GOBIN=${binDir} go install ${TEMPORAL_CLI_GO_PACKAGE}@${TEMPORAL_CLI_VERSION}`,
    '  2. Download the official release from https://github.com/temporalio/cli/releases',
    '     (or `brew install temporal`, or `curl -sSf https://temporal.download/cli.sh | sh`),',
    '     then put `temporal` on your PATH or set TEMPORAL_CLI_PATH=/absolute/path/to/temporal.',
    '  3. Set TEMPORAL_ADDRESS=host:port (and TEMPORAL_NAMESPACE) to use an existing Temporal',
    '     server instead of starting a local one.',
  ].join('\n');
}

/** True if `file` exists, is a regular file (or a symlink to one) and is executable by us. */
async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, IS_WINDOWS ? fsConstants.F_OK : fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Looks `command` up in `env.PATH` ourselves (rather than letting spawn do it) so that callers —
 * and tests — control exactly which environment is searched.
 */
async function findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const pathValue = env.PATH ?? env.Path ?? '';
  const extensions = IS_WINDOWS
    ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter((ext) => ext !== '')
    : [''];
  for (const dir of pathValue.split(path.delimiter)) {
    // An empty PATH entry means "current directory" to a shell; we deliberately don't honour it.
    if (dir === '') continue;
    for (const ext of extensions) {
      const candidate = path.resolve(dir, command + ext);
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

interface BuildContext {
  projectRoot: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  goBinary: string;
}

interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Builds the CLI while holding `.temporal/build.lock` (an atomic `mkdir`), so that e.g. two jest
 * runs or `npm run temporal` plus a test run started together do not compile it twice. Waiters
 * re-check for the binary once they get the lock; locks left behind by crashed builders are
 * detected through their pid (same host) or age.
 */
async function buildWithLock(ctx: BuildContext): Promise<string> {
  const temporalDir = path.join(ctx.projectRoot, '.temporal');
  const lockDir = path.join(temporalDir, 'build.lock');
  const ownerFile = path.join(lockDir, 'owner.json');
  const target = projectTemporalBinaryPath(ctx.projectRoot);
  await fs.mkdir(temporalDir, { recursive: true });

  let announcedWait = false;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStaleLock(lockDir, ownerFile)) {
        ctx.log(`Removing stale Temporal CLI build lock ${lockDir}`);
        await fs.rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announcedWait) {
        ctx.log('Another process is building the Temporal CLI; waiting for it to finish…');
        announcedWait = true;
      }
      await sleep(1_000);
      continue;
    }

    try {
      const owner: LockOwner = { pid: process.pid, hostname: os.hostname(), startedAt: Date.now() };
      await fs.writeFile(ownerFile, JSON.stringify(owner));
      // Whoever held the lock before us may have just finished the build.
      if (await isExecutableFile(target)) return target;
      return await buildTemporalCli(ctx, target);
    } finally {
      await fs.rm(lockDir, { recursive: true, force: true });
    }
  }
}

async function isStaleLock(lockDir: string, ownerFile: string): Promise<boolean> {
  let owner: LockOwner | undefined;
  try {
    owner = JSON.parse(await fs.readFile(ownerFile, 'utf8')) as LockOwner;
  } catch {
    owner = undefined;
  }
  if (owner === undefined) {
    // The owner writes owner.json right after mkdir; give it a moment before declaring it dead.
    try {
      const stat = await fs.stat(lockDir);
      return Date.now() - stat.mtimeMs > 60_000;
    } catch {
      return false; // Lock vanished meanwhile: not stale, just retry.
    }
  }
  if (Date.now() - owner.startedAt > STALE_LOCK_MS) return true;
  if (owner.hostname === os.hostname() && owner.pid !== process.pid) {
    return !isProcessAlive(owner.pid);
  }
  return false;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `go install` for each candidate tag until one succeeds; moves the result to `target`. */
async function buildTemporalCli(ctx: BuildContext, target: string): Promise<string> {
  const { log } = ctx;
  const versions = [TEMPORAL_CLI_VERSION, ...TEMPORAL_CLI_FALLBACK_VERSIONS];
  log(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy into .temporal/bin ` +
      `(first run only, takes a few minutes)…`,
  );
  const failures: string[] = [];
  for (const version of versions) {
    // Build into a private directory and rename afterwards: the final path then never holds a
    // half-written binary, even if this process is killed mid-build.
    const stagingDir = await fs.mkdtemp(path.join(ctx.projectRoot, '.temporal', 'build-'));
    try {
      const started = Date.now();
      const result = await runGoInstall(ctx, version, stagingDir);
      if (result.ok) {
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.rename(path.join(stagingDir, `temporal${EXE_SUFFIX}`), target);
        log(
          `Built Temporal CLI ${version} in ${Math.round((Date.now() - started) / 1000)} s: ${target}`,
        );
        return target;
      }
      log(`Building Temporal CLI ${version} failed (${result.reason}).`);
      failures.push(`--- ${version}: ${result.reason}\n${result.tail.join('\n')}`);
      if (version !== versions[versions.length - 1]) log('Trying the next fallback version…');
    } finally {
      await fs.rm(stagingDir, { recursive: true, force: true });
    }
  }
  throw new Error(
    `Could not build the Temporal CLI with ${ctx.goBinary} (tried ${versions.join(', ')}).\n` +
      `${failures.join('\n')}\n\n${installInstructions(ctx.projectRoot)}`,
  );
}

interface GoInstallResult {
  ok: boolean;
  reason: string;
  tail: string[];
}

/** Runs one `go install`, summarising its (very chatty) output into periodic progress lines. */
async function runGoInstall(
  ctx: BuildContext,
  version: string,
  gobin: string,
): Promise<GoInstallResult> {
  const { log } = ctx;
  const args = ['install', '-v', `${TEMPORAL_CLI_GO_PACKAGE}@${version}`];
  log(`$ GOBIN=${gobin} ${ctx.goBinary} ${args.join(' ')}`);
  const child = spawn(ctx.goBinary, args, {
    cwd: gobin, // Outside any go.mod, so `go install pkg@version` runs in module-aware global mode.
    env: { ...ctx.env, GOBIN: gobin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const tail: string[] = [];
  let downloads = 0;
  let packages = 0;
  const started = Date.now();
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line.trim() === '') continue;
      if (line.startsWith('go: downloading ')) downloads++;
      else if (!line.includes(' ')) packages++; // `-v` prints one package path per line.
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const progress = setInterval(() => {
    log(
      `  …still building Temporal CLI ${version} (${Math.round((Date.now() - started) / 1000)} s, ` +
        `${downloads} modules downloaded, ${packages} packages compiled)`,
    );
  }, PROGRESS_INTERVAL_MS);
  const timeout = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
  // If we are interrupted mid-build, don't leave the Go toolchain running.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  try {
    return await new Promise<GoInstallResult>((resolve) => {
      child.once('error', (err) => resolve({ ok: false, reason: err.message, tail }));
      child.once('close', (code, signal) => {
        if (code === 0) resolve({ ok: true, reason: 'ok', tail });
        else resolve({ ok: false, reason: `go exited with ${code ?? signal}`, tail });
      });
    });
  } finally {
    clearInterval(progress);
    clearTimeout(timeout);
    process.removeListener('exit', killOnExit);
  }
}
