import { userInfo } from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';
import {
  USAGE_DAYS_KEPT,
  budgetTokens,
  emptyModelTotals,
  type ModelUsageTotals,
  type UserUsageTotals,
} from '../shared';
import type { TokenCounts } from '../observability/price-table';
import type { UsageCallRecord, UsageReader, UsageStore } from './types';

/** How long call keys are kept for de-duplication: far longer than any retry of a job's call. */
export const DEDUPE_WINDOW_DAYS = 8;
const PRUNE_INTERVAL_MS = 3_600_000;

/** Options of {@link openPostgresUsageStore}. */
export interface PostgresUsageOptions {
  /** `postgres://…/<database>`; the database is created if missing. Never logged. */
  url: string;
  poolSize: number;
  logger: Logger;
}

/** The PostgreSQL usage ledger: a store for the activity workers and a reader for the API. */
export interface PostgresUsage extends UsageStore, UsageReader {
  /** Deletes call keys older than the de-duplication window; returns how many. */
  prune(): Promise<number>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage_calls (
  job_id text NOT NULL,
  call integer NOT NULL,
  user_id text NOT NULL,
  model text NOT NULL,
  day date NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cache_creation_input_tokens bigint NOT NULL,
  cache_read_input_tokens bigint NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, call)
);
CREATE INDEX IF NOT EXISTS usage_calls_recorded_at ON usage_calls (recorded_at);
CREATE TABLE IF NOT EXISTS usage_daily (
  user_id text NOT NULL,
  day date NOT NULL,
  model text NOT NULL,
  jobs bigint NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cache_creation_input_tokens bigint NOT NULL,
  cache_read_input_tokens bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, day, model)
);`;

/**
 * One statement per batch: the calls whose key is new are inserted (a key already there — a
 * retried call — is skipped), and only those are added to the per-user, per-day, per-model
 * counters, in the same transaction. A job counts in `jobs` with its call 0. Rows are grouped in
 * key order so concurrent writers lock counter rows in the same order.
 */
const WRITE = `
WITH ins AS (
  INSERT INTO usage_calls (job_id, call, user_id, model, day, input_tokens, output_tokens,
                           cache_creation_input_tokens, cache_read_input_tokens)
  SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::date[],
                       $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
  ON CONFLICT (job_id, call) DO NOTHING
  RETURNING user_id, day, model, call, input_tokens, output_tokens,
            cache_creation_input_tokens, cache_read_input_tokens
)
INSERT INTO usage_daily AS d (user_id, day, model, jobs, calls, input_tokens, output_tokens,
                              cache_creation_input_tokens, cache_read_input_tokens, updated_at)
SELECT user_id, day, model, count(*) FILTER (WHERE call = 0), count(*), sum(input_tokens),
       sum(output_tokens), sum(cache_creation_input_tokens), sum(cache_read_input_tokens), now()
FROM ins
GROUP BY user_id, day, model
ORDER BY user_id, day, model
ON CONFLICT (user_id, day, model) DO UPDATE SET
  jobs = d.jobs + excluded.jobs,
  calls = d.calls + excluded.calls,
  input_tokens = d.input_tokens + excluded.input_tokens,
  output_tokens = d.output_tokens + excluded.output_tokens,
  cache_creation_input_tokens = d.cache_creation_input_tokens + excluded.cache_creation_input_tokens,
  cache_read_input_tokens = d.cache_read_input_tokens + excluded.cache_read_input_tokens,
  updated_at = excluded.updated_at`;

/**
 * `url` with a user name: one without falls back, as libpq does, to PGUSER, USER and then the
 * OS account (the pg driver alone fails when USER is unset, as under some process managers).
 */
export function withUser(url: string): string {
  const parsed = new URL(url);
  if (parsed.username) return url;
  parsed.username = encodeURIComponent(
    process.env.PGUSER ?? process.env.USER ?? userInfo().username,
  );
  return parsed.toString();
}

/** The database name of a `postgres://` URL, and the same URL on the `postgres` database. */
function splitDatabase(url: string): { database: string; adminUrl: string } {
  const parsed = new URL(withUser(url));
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new Error('USAGE_DATABASE_URL names no database');
  parsed.pathname = '/postgres';
  return { database, adminUrl: parsed.toString() };
}

/** PostgreSQL error code, if `err` is one. */
function pgCode(err: unknown): string | undefined {
  return (err as { code?: unknown }).code as string | undefined;
}

/**
 * Creates the database of `url` when it does not exist (connecting to the `postgres` database).
 * Concurrent creators (the API and the workers starting together) are fine.
 */
export async function ensureUsageDatabase(url: string): Promise<void> {
  const { database, adminUrl } = splitDatabase(url);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return;
    await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } catch (err) {
    // 42P04: created meanwhile by another process; 23505: the same race seen in pg_database.
    if (pgCode(err) !== '42P04' && pgCode(err) !== '23505') throw err;
  } finally {
    await admin.end();
  }
}

/** Drops the database of `url` (tests create one per stack). */
export async function dropUsageDatabase(url: string): Promise<void> {
  const { database, adminUrl } = splitDatabase(url);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Per-model totals of one `usage_daily` row (bigint columns arrive as strings). */
function rowTotals(row: Record<string, string>): ModelUsageTotals {
  return {
    calls: Number(row.calls),
    input_tokens: Number(row.input_tokens),
    output_tokens: Number(row.output_tokens),
    cache_creation_input_tokens: Number(row.cache_creation_input_tokens),
    cache_read_input_tokens: Number(row.cache_read_input_tokens),
  };
}

/**
 * Opens the PostgreSQL usage ledger: creates the database and tables if missing, then writes
 * batches with one statement each and reads a user's totals with one query. Call keys older
 * than {@link DEDUPE_WINDOW_DAYS} are pruned at most once an hour, after a write, without
 * holding it up.
 */
export async function openPostgresUsageStore(
  options: PostgresUsageOptions,
): Promise<PostgresUsage> {
  await ensureUsageDatabase(options.url);
  const pool = new pg.Pool({ connectionString: withUser(options.url), max: options.poolSize });
  // An idle client's error (the server restarted) must not crash the process; the next query
  // opens a new connection.
  pool.on('error', (err) => options.logger.warn({ err: err.message }, 'usage database error'));
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query(SCHEMA);
      break;
    } catch (err) {
      // Two processes creating the same table at once: one loses with 23505/42P07; try again.
      if (attempt >= 3 || (pgCode(err) !== '23505' && pgCode(err) !== '42P07')) {
        await pool.end();
        throw err;
      }
    }
  }
  let lastPrune = 0;

  async function prune(): Promise<number> {
    lastPrune = Date.now();
    const res = await pool.query(
      `DELETE FROM usage_calls WHERE recorded_at < now() - make_interval(days => $1)`,
      [DEDUPE_WINDOW_DAYS],
    );
    return res.rowCount ?? 0;
  }

  return {
    kind: 'postgres',
    prune,
    async write(records: UsageCallRecord[]) {
      if (records.length === 0) return;
      const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
      for (const r of records) {
        cols[0]!.push(r.jobId);
        cols[1]!.push(r.call);
        cols[2]!.push(r.userId);
        cols[3]!.push(r.model);
        cols[4]!.push(r.at.slice(0, 10));
        cols[5]!.push(r.usage.input_tokens);
        cols[6]!.push(r.usage.output_tokens);
        cols[7]!.push(r.usage.cache_creation_input_tokens ?? 0);
        cols[8]!.push(r.usage.cache_read_input_tokens ?? 0);
      }
      await pool.query(WRITE, cols);
      if (Date.now() - lastPrune > PRUNE_INTERVAL_MS) {
        prune().catch((err: Error) =>
          options.logger.warn({ err: err.message }, 'usage: pruning old call keys failed'),
        );
      }
    },
    async totals(userId: string): Promise<UserUsageTotals | undefined> {
      const res = await pool.query<Record<string, string>>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, model, jobs, calls, input_tokens, output_tokens,
                cache_creation_input_tokens, cache_read_input_tokens, updated_at
         FROM usage_daily WHERE user_id = $1`,
        [userId],
      );
      if (res.rows.length === 0) return undefined;
      const totals: UserUsageTotals = { userId, jobs: 0, byModel: {}, days: {} };
      let updatedAt = 0;
      for (const row of res.rows) {
        const t = rowTotals(row);
        const into = (totals.byModel[row.model!] ??= emptyModelTotals());
        into.calls += t.calls;
        into.input_tokens += t.input_tokens;
        into.output_tokens += t.output_tokens;
        into.cache_creation_input_tokens += t.cache_creation_input_tokens;
        into.cache_read_input_tokens += t.cache_read_input_tokens;
        totals.jobs += Number(row.jobs);
        const day = (totals.days![row.day!] ??= { jobs: 0, tokens: 0 });
        day.jobs += Number(row.jobs);
        day.tokens += budgetTokens(t);
        updatedAt = Math.max(updatedAt, new Date(row.updated_at as unknown as Date).getTime());
      }
      const kept = Object.keys(totals.days!).sort().slice(-USAGE_DAYS_KEPT);
      for (const day of Object.keys(totals.days!))
        if (!kept.includes(day)) delete totals.days![day];
      totals.updatedAt = new Date(updatedAt).toISOString();
      return totals;
    },
    async tokensOn(userId: string, day: string): Promise<number> {
      const res = await pool.query<{ tokens: string | null }>(
        `SELECT sum(input_tokens + cache_creation_input_tokens + output_tokens) AS tokens
         FROM usage_daily WHERE user_id = $1 AND day = $2`,
        [userId, day],
      );
      return Number(res.rows[0]?.tokens ?? 0);
    },
    async modelUsageOn(userId: string, day: string): Promise<Record<string, TokenCounts>> {
      const res = await pool.query<Record<string, string>>(
        `SELECT model, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
                sum(cache_creation_input_tokens) AS cache_creation_input_tokens,
                sum(cache_read_input_tokens) AS cache_read_input_tokens
         FROM usage_daily WHERE user_id = $1 AND day = $2 GROUP BY model`,
        [userId, day],
      );
      const byModel: Record<string, TokenCounts> = {};
      for (const row of res.rows) {
        byModel[row.model!] = {
          input_tokens: Number(row.input_tokens),
          output_tokens: Number(row.output_tokens),
          cache_creation_input_tokens: Number(row.cache_creation_input_tokens),
          cache_read_input_tokens: Number(row.cache_read_input_tokens),
        };
      }
      return byModel;
    },
    async close() {
      await pool.end();
    },
  };
}
