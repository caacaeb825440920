import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTES } from '../shared';
import { describeExit, ManagedProcess, type ProcessExit } from '../stack/managed-process';

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
  // The CLI turns this on so search attributes added at run time are visible at once; it makes
  // every workflow start and visibility write re-read the search-attribute table through the
  // single SQLite connection. Off (the full server's default), a bare workflow cost 14% less server
  // CPU and its queue wait stopped growing at 10/s (docs/temporal-server.md). The attributes we
  // register at launch are in the namespace config before the server serves; ones added to a
  // running server are visible within the cache's 60-s refresh.
  'system.forceSearchAttributesCacheRefreshOnRead': false,
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
  /**
   * Resolves when the server process exits for any reason (a crash, a kill, {@link stop}); never
   * for a reused server, which is not ours to watch.
   */
  exited: Promise<ProcessExit>;
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
    return {
      address,
      namespace,
      reused: true,
      stop: () => Promise.resolve(),
      exited: new Promise<ProcessExit>(() => undefined),
    };
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
    exited: server.exitPromise,
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

/** A spawned `temporal server start-dev`, run in the project's process wrapper. */
class ServerProcess {
  private readonly process: ManagedProcess;
  readonly exitPromise: Promise<ProcessExit>;
  exited = false;
  /** Set once it answered; only later exits are worth logging on their own. */
  ready = false;
  private exitDescription = '';
  private stopping = false;

  constructor(
    binaryPath: string,
    private readonly args: string[],
    log: (line: string) => void,
  ) {
    // Not detached: the server stays in our process group, so Ctrl-C reaches it too.
    this.process = new ManagedProcess({
      name: 'temporal',
      script: binaryPath,
      args,
      env: process.env,
      executable: true,
      killWithParent: true,
    });
    this.process.start();
    this.exitPromise = this.process.exited().then((exit) => {
      this.exited = true;
      this.exitDescription = describeExit(exit);
      if (this.ready && !this.stopping) {
        log(
          `Temporal dev server (pid ${this.pid}) ${this.exitDescription} unexpectedly.` +
            this.outputForError(),
        );
      }
      return exit;
    });
  }

  get pid(): number | undefined {
    return this.process.pidHistory[0];
  }

  outputForError(): string {
    const lines = this.process
      .output()
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .slice(-OUTPUT_TAIL_LINES);
    return lines.length === 0
      ? ' It printed nothing.'
      : `\nLast ${lines.length} lines of its output:\n${lines.join('\n')}`;
  }

  earlyExitError(): Error {
    return new Error(
      `Temporal dev server ${this.exitDescription} before it became ready ` +
        `(command: temporal ${this.args.join(' ')}).${this.outputForError()}`,
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.process.stop(STOP_GRACE_MS);
    await this.exitPromise;
  }
}
