import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTES } from '../shared';

/**
 * Dynamic config every dev server started by the project gets.
 *
 * - `matching.useNewMatcher`: the priority-aware matcher, so `priority.priorityKey` on workflows
 *   and activities is honoured (interactive chats overtake batch jobs).
 * - `matching.enableFairness`: fairness keys (per-user weighting) — implies the new matcher.
 * - one read/write partition per task queue: with several partitions each one orders its own
 *   backlog, so priority is only approximate across them; a single partition makes the ordering
 *   exact, which tests assert on and which a single dev server has no throughput need to avoid.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, boolean | number> = {
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  // Admission control counts each user's active jobs with visibility queries; the default of 10
  // per second per namespace is too low for a busy API.
  'frontend.namespaceRPS.visibility': 100,
};

/**
 * SQLite settings of file-backed dev servers. The dev server's single SQLite connection is its
 * throughput ceiling; write-ahead logging with `synchronous=normal` measured 2.8× the workflow
 * starts per second of the defaults here (113 → 321/s at 30 concurrent starts) and stays durable
 * across process crashes (only an OS crash or power loss can drop the last commits).
 */
export const DEV_SERVER_SQLITE_PRAGMAS: Record<string, string> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};

/** Search attribute types accepted by `temporal server start-dev --search-attribute`. */
const SEARCH_ATTRIBUTE_TYPES: Record<string, number> = {
  // Values are temporal.api.enums.v1.IndexedValueType, used when registering on a reused server.
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** Temporal CLI executable (see `ensureTemporalBinary`). */
  binaryPath: string;
  /** Interface the frontend (and UI) bind to. Default `127.0.0.1`. */
  ip?: string;
  /** Frontend gRPC port. */
  port: number;
  /** Web UI port; `false` runs headless; omitted = CLI default (`port + 1000`). */
  uiPort?: number | false;
  /** Persistent SQLite file (its directory is created); omitted = in-memory, lost on stop. */
  dbFilename?: string;
  /** SQLite pragmas (`--sqlite-pragma NAME=VALUE`); file-backed default DEV_SERVER_SQLITE_PRAGMAS. */
  sqlitePragmas?: Record<string, string>;
  /** Namespace to create and wait for. Default `default`. */
  namespace?: string;
  /** Custom search attributes to register (default: the project's SEARCH_ATTRIBUTES). */
  searchAttributes?: ReadonlyArray<{ name: string; type: string }>;
  /** Dynamic config (JSON-encoded on the command line; default DEV_SERVER_DYNAMIC_CONFIG). */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Port of the server's own Prometheus `/metrics` (`--metrics-port`); omitted = off. */
  metricsPort?: number;
  /** Server log level (`debug`, `info`, `warn`, `error`, `never`). Default `warn`. */
  logLevel?: string;
  /** How long to wait for the server to answer. Default 60 s. */
  startTimeoutMs?: number;
  /** Receives human-readable status lines. Default: stderr. */
  log?: (line: string) => void;
  /** Use a Temporal server that already answers on ip:port instead of failing. Default `true`. */
  reuseExisting?: boolean;
}

/** A running (or reused) dev server. */
export interface DevServerHandle {
  /** `host:port` for `Connection.connect({ address })`. */
  address: string;
  namespace: string;
  /** Web UI URL; undefined when headless or reused. */
  uiUrl?: string;
  /** Pid of the server process we spawned; undefined when reused. */
  pid?: number;
  /** True if an already-running server was found; {@link DevServerHandle.stop} is then a no-op. */
  reused: boolean;
  /** SIGTERM, then SIGKILL after ~10 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

const OUTPUT_TAIL_LINES = 50;
const STOP_GRACE_MS = 10_000;

/**
 * Starts `temporal server start-dev`, or reuses a Temporal server already listening on ip:port.
 *
 * Resolves once the frontend answers and the namespace exists. Rejects (with the server's last
 * output lines) if the process exits early or is not ready within `startTimeoutMs`. The child is
 * never detached and is killed when this process exits, so it cannot outlive its parent.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServerHandle> {
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const connectHost = ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  const address = `${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${opts.port}`;
  // Every server the project starts carries its search attributes unless told otherwise.
  const searchAttributes = opts.searchAttributes ?? Object.values(SEARCH_ATTRIBUTES);
  for (const { name, type } of searchAttributes) {
    if (SEARCH_ATTRIBUTE_TYPES[type] === undefined) {
      throw new Error(
        `Search attribute ${name} has unknown type "${type}"; expected one of ` +
          Object.keys(SEARCH_ATTRIBUTE_TYPES).join(', '),
      );
    }
  }

  if (
    (opts.reuseExisting ?? true) &&
    (await isPortOpen(connectHost, opts.port)) &&
    (await answersAsTemporal(address, 3_000))
  ) {
    log(
      `Reusing the Temporal server already running at ${address} (namespace ${namespace}); ` +
        'it was not started by this process and will not be stopped by it.',
    );
    await prepareReusedServer(address, namespace, searchAttributes, startTimeoutMs, log);
    return { address, namespace, reused: true, stop: () => Promise.resolve() };
  }

  if (opts.dbFilename !== undefined) {
    await fs.mkdir(path.dirname(path.resolve(opts.dbFilename)), { recursive: true });
  }
  const args = buildArgs({ ...opts, ip, namespace, searchAttributes });
  const server = new ServerProcess(opts.binaryPath, args, log);
  try {
    await waitUntilReady(server, address, namespace, startTimeoutMs);
    server.ready = true;
  } catch (err) {
    await server.stop();
    throw err;
  }

  const uiPort = opts.uiPort === undefined ? opts.port + 1000 : opts.uiPort;
  const uiHost = connectHost.includes(':') ? `[${connectHost}]` : connectHost;
  return {
    address,
    namespace,
    uiUrl: uiPort === false ? undefined : `http://${uiHost}:${uiPort}`,
    pid: server.pid,
    reused: false,
    stop: () => server.stop(),
  };
}

function buildArgs(
  opts: DevServerOptions & {
    ip: string;
    namespace: string;
    searchAttributes: ReadonlyArray<{ name: string; type: string }>;
  },
): string[] {
  const args = ['server', 'start-dev', '--ip', opts.ip, '--port', String(opts.port)];
  if (opts.uiPort === false) args.push('--headless');
  else if (opts.uiPort !== undefined) args.push('--ui-port', String(opts.uiPort));
  if (opts.dbFilename !== undefined) args.push('--db-filename', path.resolve(opts.dbFilename));
  if (opts.metricsPort !== undefined) args.push('--metrics-port', String(opts.metricsPort));
  const pragmas =
    opts.sqlitePragmas ?? (opts.dbFilename !== undefined ? DEV_SERVER_SQLITE_PRAGMAS : {});
  for (const [pragma, value] of Object.entries(pragmas)) {
    args.push('--sqlite-pragma', `${pragma}=${value}`);
  }
  // "default" always exists; any other namespace is created at launch.
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  for (const { name, type } of opts.searchAttributes) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? DEV_SERVER_DYNAMIC_CONFIG)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  args.push('--log-level', opts.logLevel ?? 'warn', '--log-format', 'json', '--color', 'never');
  return args;
}

/** Fast TCP probe: avoids waiting out a gRPC connect timeout when nothing listens at all. */
function isPortOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Runs `fn` with a connection that is always closed, so failed probes leak no gRPC channels. */
async function withConnection<T>(
  address: string,
  timeoutMs: number,
  fn: (connection: Connection) => Promise<T>,
): Promise<T> {
  const connection = Connection.lazy({ address, connectTimeout: timeoutMs });
  try {
    await connection.ensureConnected();
    return await connection.withDeadline(Date.now() + timeoutMs, () => fn(connection));
  } finally {
    await connection.close();
  }
}

/** True if a Temporal frontend answers `GetSystemInfo` at `address` within `timeoutMs`. */
async function answersAsTemporal(address: string, timeoutMs: number): Promise<boolean> {
  try {
    await withConnection(address, timeoutMs, () => Promise.resolve());
    return true;
  } catch {
    return false;
  }
}

function isNotFound(err: unknown): boolean {
  // 5 = grpc.status.NOT_FOUND (@grpc/grpc-js is not a direct dependency).
  return isGrpcServiceError(err) && Number(err.code) === 5;
}

/**
 * Makes a server we did not start usable for us: registers the namespace and any missing search
 * attributes (both idempotent), since e.g. a hand-started `temporal server start-dev` has neither.
 */
async function prepareReusedServer(
  address: string,
  namespace: string,
  searchAttributes: ReadonlyArray<{ name: string; type: string }>,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  await withConnection(address, timeoutMs, async (connection) => {
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      log(`Registering namespace ${namespace} on ${address}`);
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      // The frontend only sees new namespaces after its namespace cache refreshes (~10 s); until
      // then namespace-scoped calls fail with NOT_FOUND.
      for (;;) {
        try {
          await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
          break;
        } catch (listErr) {
          if (!isNotFound(listErr)) throw listErr;
          await sleep(500);
        }
      }
    }
    if (searchAttributes.length === 0) return;
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing: Record<string, number> = {};
    for (const { name, type } of searchAttributes) {
      if (existing.customAttributes?.[name] === undefined) {
        missing[name] = SEARCH_ATTRIBUTE_TYPES[type] ?? 0;
      }
    }
    if (Object.keys(missing).length > 0) {
      log(`Registering search attributes ${Object.keys(missing).join(', ')} on ${address}`);
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: missing,
      });
    }
  });
}

/**
 * Polls (with backoff) until the frontend answers and the namespace is visible, failing fast if
 * the process exits first.
 */
async function waitUntilReady(
  server: ServerProcess,
  address: string,
  namespace: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const [host, portText] = splitAddress(address);
  let delay = 100;
  let lastError: unknown;
  for (;;) {
    if (server.exited) throw server.earlyExitError();
    if (await isPortOpen(host, Number(portText))) {
      try {
        // Race against the exit so an early death is reported at once, not after the probe timeout.
        await Promise.race([
          withConnection(address, 2_000, (connection) =>
            connection.workflowService.describeNamespace({ namespace }),
          ),
          server.exitPromise.then(() => {
            throw server.earlyExitError();
          }),
        ]);
        return;
      } catch (err) {
        if (server.exited) throw server.earlyExitError();
        lastError = err;
      }
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Temporal dev server (pid ${server.pid}) did not become ready at ${address} within ` +
          `${timeoutMs} ms${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}.` +
          server.outputForError(),
      );
    }
    await Promise.race([sleep(delay), server.exitPromise]);
    delay = Math.min(delay * 2, 1_000);
  }
}

function splitAddress(address: string): [string, string] {
  const idx = address.lastIndexOf(':');
  return [address.slice(0, idx).replace(/^\[|\]$/g, ''), address.slice(idx + 1)];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Children still running, killed synchronously if this process exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
let exitHooksInstalled = false;

/**
 * Makes sure spawned servers die with us. `exit` covers normal exits, `process.exit()` and uncaught
 * exceptions. Signals need care: Node's default SIGINT/SIGTERM/SIGHUP action kills the process
 * *without* emitting `exit`, so if nobody else handles the signal we kill the children and then
 * re-raise it to keep the default behaviour. If the application has its own handler we leave the
 * shutdown to it (it may still need the server while draining) and rely on `exit`.
 */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      if (process.listenerCount(signal) > 1) return;
      for (const child of liveChildren) child.kill('SIGKILL');
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/** A spawned `temporal server start-dev` with its output kept in a ring buffer. */
class ServerProcess {
  readonly child: ChildProcess;
  readonly exitPromise: Promise<void>;
  exited = false;
  /** Set once it answered; only later exits are worth logging on their own. */
  ready = false;
  private exitDescription = '';
  private stopping = false;
  private readonly tail: string[] = [];

  constructor(
    binaryPath: string,
    private readonly args: string[],
    log: (line: string) => void,
  ) {
    installExitHooks();
    // Not detached: the server stays in our process group, so Ctrl-C reaches it too.
    this.child = spawn(binaryPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    liveChildren.add(this.child);
    // The pipes must be drained continuously or the server would block on a full pipe.
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split(/\r?\n/);
        partial = lines.pop() ?? '';
        for (const line of lines) this.pushLine(line);
      });
      stream?.on('end', () => {
        if (partial !== '') this.pushLine(partial);
      });
    }
    this.exitPromise = new Promise<void>((resolve) => {
      this.child.once('error', (err) => {
        // e.g. ENOENT/EACCES for the binary: no 'exit' event follows.
        this.markExited(`failed to start: ${err.message}`);
        resolve();
      });
      // 'close' rather than 'exit': it fires after the output pipes are drained, so an early-exit
      // error includes the server's last words.
      this.child.once('close', (code, signal) => {
        this.markExited(signal !== null ? `was killed by ${signal}` : `exited with code ${code}`);
        if (this.ready && !this.stopping) {
          log(
            `Temporal dev server (pid ${this.child.pid}) ${this.exitDescription} unexpectedly.` +
              this.outputForError(),
          );
        }
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private markExited(description: string): void {
    if (this.exited) return;
    this.exited = true;
    this.exitDescription = description;
    liveChildren.delete(this.child);
  }

  private pushLine(line: string): void {
    if (line.trim() === '') return;
    this.tail.push(line);
    if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
  }

  outputForError(): string {
    return this.tail.length === 0
      ? ' It printed nothing.'
      : `\nLast ${this.tail.length} lines of its output:\n${this.tail.join('\n')}`;
  }

  earlyExitError(): Error {
    return new Error(
      `Temporal dev server ${this.exitDescription} before it became ready ` +
        `(command: temporal ${this.args.join(' ')}).${this.outputForError()}`,
    );
  }

  async stop(): Promise<void> {
    if (this.exited) return this.exitPromise;
    this.stopping = true;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }
}
