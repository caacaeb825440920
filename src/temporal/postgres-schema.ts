import { spawn } from 'node:child_process';
import net from 'node:net';
import type { PostgresProfileSettings } from './postgres-profile-settings';

/** SQL plugin of the Temporal server for PostgreSQL ≥ 12 (pgx driver). */
export const TEMPORAL_SQL_PLUGIN = 'postgres12_pgx';

/** Embedded (versioned) schemas of temporal-sql-tool v1.29, by store. */
const EMBEDDED_SCHEMAS = {
  default: 'postgresql/v12/temporal',
  visibility: 'postgresql/v12/visibility',
} as const;

/**
 * Fails with a clear message when nothing accepts TCP connections at the configured PostgreSQL
 * address (the SQL tool's own error for that is a page of driver retries).
 */
export async function assertPostgresReachable(
  settings: PostgresProfileSettings,
  timeoutMs = 3_000,
): Promise<void> {
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: settings.pgHost, port: settings.pgPort });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
  if (!reachable) {
    throw new Error(
      `PostgreSQL is not reachable at ${settings.pgHost}:${settings.pgPort} ` +
        '(TEMPORAL_PG_HOST / TEMPORAL_PG_PORT). The production profile keeps Temporal in ' +
        'PostgreSQL: start it (e.g. `pg_ctlcluster 15 main start`) or point the variables at one.',
    );
  }
}

/**
 * Creates both databases if missing and brings their schemas to the version this server release
 * ships, exactly as Temporal's own auto-setup does: `create-database`, `setup-schema -v 0.0`
 * (version tables only), `update-schema` with the tool's embedded versioned schema. Every step is
 * idempotent, so this runs on every start and also upgrades a database made by an older release.
 */
export async function setupTemporalSchema(opts: {
  sqlToolPath: string;
  settings: PostgresProfileSettings;
  log: (line: string) => void;
}): Promise<void> {
  const { settings, log } = opts;
  await assertPostgresReachable(settings);
  const stores = [
    { database: settings.database, schema: EMBEDDED_SCHEMAS.default },
    { database: settings.visibilityDatabase, schema: EMBEDDED_SCHEMAS.visibility },
  ];
  for (const { database, schema } of stores) {
    log(`Temporal schema: ${database} ← ${schema} (create if missing, then update)`);
    const run = (args: string[]) => runSqlTool(opts.sqlToolPath, settings, database, args);
    await run(['create-database', '--defaultdb', 'postgres']);
    await run(['setup-schema', '-v', '0.0']);
    await run(['update-schema', '--schema-name', schema]);
  }
}

/** Drops both databases (for tests that create throwaway ones). Missing databases are fine. */
export async function dropTemporalDatabases(opts: {
  sqlToolPath: string;
  settings: PostgresProfileSettings;
}): Promise<void> {
  for (const database of [opts.settings.database, opts.settings.visibilityDatabase]) {
    await runSqlTool(opts.sqlToolPath, opts.settings, database, [
      'drop-database',
      '--defaultdb',
      'postgres',
      '--force',
    ]);
  }
}

/**
 * Runs one temporal-sql-tool command. Connection settings go through the tool's SQL_* environment
 * variables rather than flags so the password never appears in a process listing.
 */
function runSqlTool(
  sqlToolPath: string,
  settings: PostgresProfileSettings,
  database: string,
  args: string[],
): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SQL_PLUGIN: TEMPORAL_SQL_PLUGIN,
    SQL_HOST: settings.pgHost,
    SQL_PORT: String(settings.pgPort),
    SQL_USER: settings.pgUser,
    SQL_PASSWORD: settings.pgPassword ?? '',
    SQL_DATABASE: database,
  };
  const child = spawn(sqlToolPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `temporal-sql-tool ${args[0]} on database ${database} failed ` +
              `(${code ?? signal}):\n${output.trim()}`,
          ),
        );
    });
  });
}
