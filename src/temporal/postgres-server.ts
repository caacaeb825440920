import path from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ManagedProcess, type ProcessExit } from '../stack/managed-process';
import { serverTemplateEnv, type PostgresProfileSettings } from './postgres-profile-settings';

/** Config directory and environment name of the server config (relative to the repository). */
export const POSTGRES_SERVER_CONFIG_DIR = path.join('deploy', 'temporal-postgres');
/** `--env` of the server: it reads `<config dir>/agent-fleet.yaml`. */
export const POSTGRES_SERVER_CONFIG_ENV = 'agent-fleet';
/** Dynamic config file of the server (same values as the dev server's). */
export const POSTGRES_SERVER_DYNAMIC_CONFIG = path.join(
  POSTGRES_SERVER_CONFIG_DIR,
  'dynamicconfig.yaml',
);

/** temporal.api.enums.v1.IndexedValueType of the search attribute types we register. */
const INDEXED_VALUE_TYPES: Record<string, number> = { Keyword: 2, Int: 3, Bool: 5 };
/** A literal of each type for the visibility query that waits until the attributes are known. */
const PROBE_VALUES: Record<string, string> = { Int: '0', Bool: 'false' };

/** Options of {@link startPostgresTemporalServer}. */
export interface PostgresServerOptions {
  /** `temporal-server` executable (see ensureTemporalServerBinaries). */
  serverPath: string;
  /** Repository root (holds deploy/temporal-postgres). */
  projectRoot: string;
  settings: PostgresProfileSettings;
  /** Namespace to register if missing. Default `default` (the full server creates none). */
  namespace?: string;
  /** Custom search attributes to register if missing (types Keyword or Int). */
  searchAttributes?: ReadonlyArray<{ name: string; type: string }>;
  /** How long to wait for the frontend and namespace. Default 90 s. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

/** A running PostgreSQL-backed Temporal server. */
export interface PostgresServerHandle {
  /** `127.0.0.1:<frontend port>` for TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  pid: number | undefined;
  /** SIGTERM (graceful: the server hands shards off), SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** Sends `signal` (e.g. SIGKILL for crash tests); for SIGKILL resolves once it is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Resolves when the server process exits for any reason. */
  exited: Promise<ProcessExit>;
}

const OUTPUT_TAIL_LINES = 40;
const STOP_GRACE_MS = 20_000;

/**
 * Starts the full Temporal server on PostgreSQL (schema must exist: see setupTemporalSchema) and
 * resolves once its frontend answers and the namespace and search attributes are registered
 * (both idempotent, so a restart on the same databases is a plain start). The child is killed if
 * this process exits, so it never outlives its launcher.
 */
export async function startPostgresTemporalServer(
  opts: PostgresServerOptions,
): Promise<PostgresServerHandle> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const namespace = opts.namespace ?? 'default';
  const address = `127.0.0.1:${opts.settings.frontendPort}`;
  const args = [
    '--root',
    opts.projectRoot,
    '--config',
    POSTGRES_SERVER_CONFIG_DIR,
    '--env',
    POSTGRES_SERVER_CONFIG_ENV,
    // Loopback-only and unauthenticated, like the dev server; a real cluster configures an
    // authorizer (and TLS) instead.
    '--allow-no-auth',
    'start',
  ];
  const proc = new ManagedProcess({
    name: 'temporal-server',
    script: opts.serverPath,
    args,
    cwd: opts.projectRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...serverTemplateEnv(opts.settings),
      TEMPORAL_PG_DYNAMIC_CONFIG: path.join(opts.projectRoot, POSTGRES_SERVER_DYNAMIC_CONFIG),
    },
    executable: true,
    killWithParent: true,
  });
  proc.start();
  const pid = proc.pid;
  log(`Temporal server (PostgreSQL) starting at ${address}, pid ${pid ?? '?'}`);
  try {
    await waitUntilServing(address, opts.startTimeoutMs ?? 90_000, proc);
    await prepareNamespace(address, namespace, opts.searchAttributes ?? [], log);
  } catch (err) {
    await proc.signal('SIGKILL');
    throw err;
  }
  return {
    address,
    namespace,
    pid,
    stop: () => proc.stop(STOP_GRACE_MS),
    kill: (signal) => proc.signal(signal),
    exited: proc.exited(),
  };
}

/** The server's last output lines (long JSON log lines cut), for error messages. */
function lastLines(proc: ManagedProcess): string {
  const lines = proc
    .output()
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(-OUTPUT_TAIL_LINES)
    .map((line) => (line.length > 600 ? `${line.slice(0, 600)}…` : line));
  return lines.length === 0 ? '(no output)' : lines.join('\n');
}

async function waitUntilServing(
  address: string,
  timeoutMs: number,
  proc: ManagedProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    if (!proc.running()) {
      throw new Error(
        `The Temporal server exited before it answered at ${address}. Its last output:\n` +
          lastLines(proc),
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.withDeadline(Date.now() + 3_000, () =>
          connection.workflowService.getSystemInfo({}),
        );
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The Temporal server did not answer at ${address} within ${timeoutMs} ms ` +
          `(last error: ${lastError ?? 'none'}). Its last output:\n${lastLines(proc)}`,
      );
    }
    await Promise.race([sleep(500), proc.exited()]);
  }
}

/** Registers the namespace and search attributes when missing; waits until they are usable. */
async function prepareNamespace(
  address: string,
  namespace: string,
  searchAttributes: ReadonlyArray<{ name: string; type: string }>,
  log: (line: string) => void,
): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const service = connection.workflowService;
    try {
      await service.describeNamespace({ namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      log(`Registering namespace ${namespace}`);
      await service.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('3 days'),
      });
    }
    // Namespace-scoped calls fail with NOT_FOUND until the frontend's namespace cache refreshes.
    await retryWhile(notFoundYet, () => service.listWorkflowExecutions({ namespace, pageSize: 1 }));

    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing: Record<string, number> = {};
    for (const { name, type } of searchAttributes) {
      const indexed = INDEXED_VALUE_TYPES[type];
      if (indexed === undefined) throw new Error(`Unsupported search attribute type ${type}`);
      if (existing.customAttributes?.[name] === undefined) missing[name] = indexed;
    }
    if (Object.keys(missing).length > 0) {
      log(`Registering search attributes ${Object.keys(missing).join(', ')}`);
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: missing,
      });
      // On SQL visibility custom attributes live in the namespace record: wait until listed.
      const names = Object.keys(missing);
      await retryWhile(notFoundYet, async () => {
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        if (names.some((name) => listed.customAttributes?.[name] === undefined))
          throw new SearchAttributesPending();
      });
    }
    // Listing them is not enough: the frontend validates starts and queries against its cached
    // namespace record (refreshed every ~10 s), which may still lack the new attributes. A
    // visibility query naming them succeeds only once that cache knows them.
    if (searchAttributes.length > 0) {
      const query = searchAttributes
        .map(({ name, type }) => `${name} = ${PROBE_VALUES[type] ?? "'probe'"}`)
        .join(' AND ');
      await retryWhile(
        () => true,
        () => service.countWorkflowExecutions({ namespace, query }),
      );
    }
  } finally {
    await connection.close();
  }
}

/**
 * Retries `fn` every 250 ms while `pending(err)` says the server has not caught up yet, up to
 * `timeoutMs`; any other error, or the timeout, is thrown.
 */
async function retryWhile(
  pending: (err: unknown) => boolean,
  fn: () => Promise<unknown>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fn();
      return;
    } catch (err) {
      if (!pending(err) || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

/** Not found yet: the namespace cache has not refreshed, or the attributes are not listed. */
const notFoundYet = (err: unknown): boolean =>
  isNotFound(err) || err instanceof SearchAttributesPending;

/** Search attributes were added but are not listed yet. */
class SearchAttributesPending extends Error {}

function isNotFound(err: unknown): boolean {
  // 5 = grpc NOT_FOUND (@grpc/grpc-js is not imported here).
  return isGrpcServiceError(err) && Number(err.code) === 5;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
