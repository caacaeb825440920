import pg from 'pg';
import type { Logger } from 'pino';
import { ensureUsageDatabase, withUser } from '../usage/postgres-store';
import type { StoredToolOutput, TranscriptStore } from './types';

/** Options of {@link openPostgresTranscriptStore}. */
export interface PostgresTranscriptOptions {
  /** `postgres://…/<database>`; the database is created if missing. Never logged. */
  url: string;
  poolSize: number;
  logger: Logger;
}

/**
 * `messages` is `text`, not `jsonb`: jsonb reorders object keys, and the model must be sent the
 * very bytes of the earlier calls for the prompt cache's prefix to match.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS transcript_entries (
  job_id text NOT NULL,
  seq integer NOT NULL,
  messages text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS transcript_tool_outputs (
  job_id text NOT NULL,
  tool_use_id text NOT NULL,
  output text NOT NULL,
  is_error boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, tool_use_id)
);`;

function pgCode(err: unknown): string | undefined {
  return (err as { code?: unknown }).code as string | undefined;
}

/**
 * Opens the PostgreSQL transcript store (the usage ledger's connection pattern): creates the
 * database and tables if missing. Writes are `INSERT … ON CONFLICT DO NOTHING` followed by a
 * read of the stored row, in one statement, so the first writer of a key wins.
 */
export async function openPostgresTranscriptStore(
  options: PostgresTranscriptOptions,
): Promise<TranscriptStore> {
  await ensureUsageDatabase(options.url);
  const pool = new pg.Pool({ connectionString: withUser(options.url), max: options.poolSize });
  pool.on('error', (err) => options.logger.warn({ err: err.message }, 'transcript database error'));
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
  return {
    kind: 'postgres',
    async putEntry(jobId, seq, json) {
      const res = await pool.query<{ messages: string }>(
        `WITH ins AS (
           INSERT INTO transcript_entries (job_id, seq, messages) VALUES ($1, $2, $3)
           ON CONFLICT (job_id, seq) DO NOTHING RETURNING messages)
         SELECT messages FROM ins
         UNION ALL
         SELECT messages FROM transcript_entries WHERE job_id = $1 AND seq = $2
           AND NOT EXISTS (SELECT 1 FROM ins)`,
        [jobId, seq, json],
      );
      if (res.rows[0]) return res.rows[0].messages;
      // Lost a race to a writer whose row this statement's snapshot predates: read it now.
      const again = await pool.query<{ messages: string }>(
        'SELECT messages FROM transcript_entries WHERE job_id = $1 AND seq = $2',
        [jobId, seq],
      );
      return again.rows[0]?.messages ?? json;
    },
    async entries(jobId, count) {
      const res = await pool.query<{ seq: number; messages: string }>(
        `SELECT seq, messages FROM transcript_entries WHERE job_id = $1 AND seq < $2 ORDER BY seq`,
        [jobId, count],
      );
      const found: string[] = [];
      for (const row of res.rows) {
        if (row.seq !== found.length) break;
        found.push(row.messages);
      }
      return found;
    },
    async putToolOutput(jobId, toolUseId, output) {
      const res = await pool.query<{ output: string; is_error: boolean }>(
        `WITH ins AS (
           INSERT INTO transcript_tool_outputs (job_id, tool_use_id, output, is_error)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (job_id, tool_use_id) DO NOTHING RETURNING output, is_error)
         SELECT output, is_error FROM ins
         UNION ALL
         SELECT output, is_error FROM transcript_tool_outputs
           WHERE job_id = $1 AND tool_use_id = $2 AND NOT EXISTS (SELECT 1 FROM ins)`,
        [jobId, toolUseId, output.output, output.isError],
      );
      const row =
        res.rows[0] ??
        (
          await pool.query<{ output: string; is_error: boolean }>(
            `SELECT output, is_error FROM transcript_tool_outputs
             WHERE job_id = $1 AND tool_use_id = $2`,
            [jobId, toolUseId],
          )
        ).rows[0];
      return row ? { output: row.output, isError: row.is_error } : output;
    },
    async toolOutputs(jobId, toolUseIds) {
      const found = new Map<string, StoredToolOutput>();
      if (toolUseIds.length === 0) return found;
      const res = await pool.query<{ tool_use_id: string; output: string; is_error: boolean }>(
        `SELECT tool_use_id, output, is_error FROM transcript_tool_outputs
         WHERE job_id = $1 AND tool_use_id = ANY($2::text[])`,
        [jobId, toolUseIds],
      );
      for (const row of res.rows) {
        found.set(row.tool_use_id, { output: row.output, isError: row.is_error });
      }
      return found;
    },
    async close() {
      await pool.end();
    },
  };
}
