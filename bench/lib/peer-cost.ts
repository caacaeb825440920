/**
 * Durable writes per chat job of the peers (figure 10's peer rows): for DBOS, PostgreSQL rows
 * written in its database (pg_stat_database) and WAL bytes (pg_current_wal_lsn, server-wide: on a
 * quiet machine only DBOS writes); for Restate, the journal entries of each job's `run`
 * invocation (sys_journal through the admin API). Jobs are sent one at a time at `rate` and
 * awaited through the API, like our figure 10.
 */
import { randomUUID } from 'node:crypto';
import { createJsonClient } from '../../src/loadtest/http-json';
import { readWriteCounters, LOCAL_PG } from '../baselines/dbos/database';
import { journalEntries } from '../baselines/restate/restate-server';
import { CHAT_WORKFLOW } from '../baselines/restate/config';
import { submitJob } from './submit';

/** One peer's per-job cost. */
export interface PeerCost {
  jobs: number;
  completed: number;
  /** DBOS: rows inserted + updated + deleted per job. */
  rowsPerJob?: number;
  /** DBOS: WAL bytes per job. */
  walBytesPerJob?: number;
  /** Restate: journal entries per job, and by entry type. */
  journalEntriesPerJob?: number;
  journalByType?: Record<string, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `jobs` chat jobs at `rate`/s and waits for each to finish; returns the ids completed. */
async function runJobs(apiUrl: string, jobs: number, rate: number): Promise<string[]> {
  const http = createJsonClient(apiUrl);
  const ids: string[] = [];
  for (let i = 0; i < jobs; i += 1) {
    const started = Date.now();
    ids.push(
      await submitJob(http, {
        user_id: `cost-${i % 4}`,
        message: `What is ${i + 2} * 3? [[fake key=${randomUUID()}]]`,
      }),
    );
    await sleep(Math.max(0, 1_000 / rate - (Date.now() - started)));
  }
  const done: string[] = [];
  const deadline = Date.now() + 120_000;
  for (const id of ids)
    while (Date.now() < deadline) {
      const answer = await http.request('GET', `/chat/${id}`);
      const status = (answer.body as { status?: string }).status;
      if (status === 'completed') done.push(id);
      if (status === 'completed' || status === 'failed') break;
      await sleep(200);
    }
  return done;
}

/** DBOS: rows and WAL bytes per job in its database. */
export async function measureDbosCost(
  apiUrl: string,
  database: string,
  jobs: number,
  rate: number,
): Promise<PeerCost> {
  // pg_stat_database is flushed about once a second: let earlier work land first.
  await sleep(1_500);
  const before = await readWriteCounters(LOCAL_PG, database);
  const done = await runJobs(apiUrl, jobs, rate);
  await sleep(1_500);
  const after = await readWriteCounters(LOCAL_PG, database);
  const per = (v: number) => Math.round((v / Math.max(1, jobs)) * 10) / 10;
  return {
    jobs,
    completed: done.length,
    rowsPerJob: per(after.rows - before.rows),
    walBytesPerJob: per(after.walBytes - before.walBytes),
  };
}

/** Restate: journal entries of each job's run invocation. */
export async function measureRestateCost(
  apiUrl: string,
  adminUrl: string,
  jobs: number,
  rate: number,
): Promise<PeerCost> {
  const done = await runJobs(apiUrl, jobs, rate);
  const journal = await journalEntries(adminUrl, CHAT_WORKFLOW, done);
  const n = Math.max(1, journal.invocations);
  return {
    jobs,
    completed: done.length,
    journalEntriesPerJob: Math.round((journal.entries / n) * 100) / 100,
    journalByType: Object.fromEntries(
      Object.entries(journal.byType).map(([k, v]) => [k, Math.round((v / n) * 100) / 100]),
    ),
  };
}
