/**
 * The DBOS baseline's own PostgreSQL database: created (with DBOS's system schema) before a run
 * and dropped after it, and the counters the bench reads from it (rows written, WAL bytes).
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { Client } from 'pg';

/** Where the local PostgreSQL is (trust auth). */
export interface PgServer {
  host: string;
  port: number;
  user: string;
}

/** The local server the bench and tests use. */
export const LOCAL_PG: PgServer = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/** postgresql:// URL of `database` on `server`. */
export function databaseUrl(server: PgServer, database: string): string {
  return `postgresql://${server.user}@${server.host}:${server.port}/${database}`;
}

async function withAdmin<T>(server: PgServer, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ ...server, database: 'postgres' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `database` and DBOS's system tables in it; returns its URL. */
export async function createDbosDatabase(server: PgServer, database: string): Promise<string> {
  if (!/^[a-z0-9_]{1,63}$/.test(database)) throw new Error('database: lowercase, digits, _ only');
  await withAdmin(server, (c) => c.query(`CREATE DATABASE ${database}`));
  const url = databaseUrl(server, database);
  await DBOS.migrate(url);
  return url;
}

/** Drops `database`, closing any connection a killed process left behind. */
export async function dropDbosDatabase(server: PgServer, database: string): Promise<void> {
  if (!/^[a-z0-9_]{1,63}$/.test(database)) throw new Error('database: lowercase, digits, _ only');
  await withAdmin(server, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
}

/** Durable-write counters of one database at one moment. */
export interface PgWriteCounters {
  /** Rows inserted + updated + deleted in the database (pg_stat_database). */
  rows: number;
  /** The server's WAL position in bytes (pg_current_wal_lsn: every database's WAL). */
  walBytes: number;
}

/**
 * Reads the counters. pg_stat_database lags by up to the stats flush interval (1 s by default on
 * PostgreSQL 15), so a caller waits a little after the work before its second reading.
 */
export async function readWriteCounters(
  server: PgServer,
  database: string,
): Promise<PgWriteCounters> {
  return withAdmin(server, async (c) => {
    const stat = await c.query<{ rows: string }>(
      'SELECT (tup_inserted + tup_updated + tup_deleted)::text AS rows FROM pg_stat_database WHERE datname = $1',
      [database],
    );
    const wal = await c.query<{ bytes: string }>(
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS bytes",
    );
    return { rows: Number(stat.rows[0]?.rows ?? 0), walBytes: Number(wal.rows[0]?.bytes ?? 0) };
  });
}
