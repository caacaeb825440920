/**
 * Figure 10: what one job costs the Temporal server, in Temporal's own units, for a plain chat
 * job, a tool-using agent job and a conversation turn, beside the bench's bare workflow (one
 * workflow, one no-op activity), on the same server in the same run. Kinds alternate in rounds
 * (bare, chat, agent, turn, bare, chat, …) so drift on a shared machine hits all of them.
 *
 * Everything is read from public surfaces, so it measures whatever the system is: jobs go in
 * through the HTTP API; their end is awaited through the Temporal client (a result long-poll, as
 * the bare workflow's `execute`), not by polling the API, whose reads would add server work;
 * costs come from the histories, the server's own Prometheus counters and /proc.
 *
 * - history events and workflow tasks per job, split into the job's own workflows (the job, or
 *   the conversation and its turn's child) and the OTHER workflows it causes (a usage ledger
 *   `usage~<user>`, a rate governor, …), divided over the jobs;
 * - billable actions per job by Temporal Cloud's published list (history-cost.ts) plus the
 *   heartbeats and queries the server counted, and the server's own `action` counter beside it;
 * - visibility writes per job (the server's visibility persistence counters);
 * - Temporal server CPU-ms per job over the window from the first submission to the last job's
 *   end plus a settle time for the work jobs cause afterwards (/proc/<pid>/stat).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createJsonClient } from '../../src/loadtest/http-json';
import { submitJob as submit } from './submit';
import { cpuMsOf, startCpuWindow } from './cpu-sampler';
import {
  addCost,
  emptyCost,
  eventTimeMs,
  historyCost,
  totalActions,
  type HistoryCost,
} from './history-cost';
import { countsBetween, scrape, type ServerCounts } from './server-metrics';
import { median, round } from './stats';

/** What a job is. */
export type JobKind = 'bare' | 'chat' | 'agent' | 'turn';

/** Every kind, in the order rounds run them. */
export const JOB_KINDS: readonly JobKind[] = ['bare', 'chat', 'agent', 'turn'];

/** Where the figure runs. */
export interface JobCostTarget {
  /** Label of the server profile (e.g. "dev server", "PostgreSQL"). */
  profile: string;
  client: Client;
  namespace: string;
  apiUrl: string;
  /** The server's Prometheus endpoint. */
  metricsUrl: string;
  serverPid: number | undefined;
  /** Worker processes whose CPU per job is reported too (e.g. workflow and activity workers). */
  workerPids?: () => Record<string, number | undefined>;
  /** Task queue polled by the bare worker (bench/bare). */
  bareTaskQueue: string;
}

/** Settings of the figure. */
export interface JobCostOptions {
  kinds: readonly JobKind[];
  rounds: number;
  /** Jobs per kind and round (turns: conversations × turnsPerConversation). */
  jobs: number;
  /** Submission rate, jobs/s (below saturation: this is a cost, not a capacity). */
  rate: number;
  /** Distinct users per kind and round (each user has its own ledger, if any). */
  users: number;
  turnsPerConversation: number;
  /** Wait after the last job's end, inside the window, for the work jobs cause afterwards. */
  settleMs: number;
  log: (line: string) => void;
}

/** One kind in one round. */
interface KindRound {
  kind: JobKind;
  round: number;
  users: string[];
  /** Workflow ids of the jobs (chat/agent: job id; turn: the turn's child; bare: its id). */
  jobIds: string[];
  /** Conversation workflow ids (turns only). */
  ownPrefixes: string[];
  startMs: number;
  endMs: number;
  serverCpuMs: number | undefined;
  /** CPU-ms of the worker processes over the same window. */
  workerCpuMs: Record<string, number>;
  counts: ServerCounts;
  refused: number;
}

/** Per-job figures of one kind. */
export interface JobCostRow {
  kind: JobKind;
  jobs: number;
  rounds: number;
  /** The job's own workflows, per job. */
  own: PerJob;
  /** Workflows the job causes besides its own (ledger, governor, …), per job. */
  other: PerJob;
  /** Billable actions per job: histories (own + other) + heartbeats + queries. */
  actionsPerJob: number;
  /** Per action kind, per job (histories, plus `heartbeats` and `queries` from the server). */
  actionsByKind: Record<string, number>;
  /** The server's own `action` counter per job (frontend; a cross-check). */
  serverActionsPerJob: number;
  serverActionsByType: Record<string, number>;
  /** Visibility persistence writes per job (server counter); history-implied in `own`/`other`. */
  visibilityWritesPerJob: number;
  visibilityWritesByOperation: Record<string, number>;
  describesPerJob: number;
  /** Median over rounds of Temporal server CPU-ms per job (window incl. drain and settle). */
  serverCpuMsPerJob: number;
  /** The same less the server's idle CPU over the window (measured before the rounds). */
  serverCpuMsPerJobNetOfIdle: number;
  serverCpuMsPerJobByRound: number[];
  /** Median over rounds of CPU-ms per job of each worker process (same window). */
  workerCpuMsPerJob: Record<string, number>;
  /** Mean window length per round, seconds. */
  windowS: number;
  refused: number;
}

/** Per-job history figures. */
export interface PerJob {
  events: number;
  workflowTasks: number;
  actions: number;
  visibilityWrites: number;
}

/** Result of the figure on one server. */
export interface JobCostFigure {
  profile: string;
  settings: Omit<JobCostOptions, 'log'>;
  rows: JobCostRow[];
  /** Server CPU-ms/s while idle just before the first round (included in every window). */
  idleServerCpuMsPerS: number | undefined;
  /** Workflows whose events were attributed by time window (not by id), by id. */
  sharedWorkflows: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a workflow's result; a turn's child may not exist for a moment after the 202. */
async function awaitResult(client: Client, workflowId: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await client.workflow.getHandle(workflowId).result();
      return;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

/** Runs `count` tasks started at `rate` per second (open loop) and waits for all of them. */
async function openLoop(
  count: number,
  rate: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  const t0 = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < count; i += 1) {
    const wait = (i * 1_000) / rate - (performance.now() - t0);
    if (wait > 1) await sleep(wait);
    pending.push(task(i));
  }
  await Promise.all(pending);
}

async function runKindRound(
  target: JobCostTarget,
  kind: JobKind,
  round: number,
  o: JobCostOptions,
): Promise<KindRound> {
  const tag = randomUUID().slice(0, 8);
  const users = Array.from({ length: o.users }, (_, i) => `cost-${kind}-r${round}-${tag}-u${i}`);
  const jobIds: string[] = [];
  const ownPrefixes: string[] = [];
  let refused = 0;
  const http = createJsonClient(target.apiUrl, 64);
  await sleep(1_000);
  const before = await scrape(target.metricsUrl);
  const cpu0 = cpuMsOf(target.serverPid);
  const workerCpu = startCpuWindow(target.workerPids?.() ?? {});
  const startMs = Date.now();
  try {
    if (kind === 'bare') {
      await openLoop(o.jobs, o.rate, async (i) => {
        const workflowId = `cost-bare-r${round}-${tag}-${i}`;
        jobIds.push(workflowId);
        await target.client.workflow.execute('bareWorkflow', {
          taskQueue: target.bareTaskQueue,
          workflowId,
          workflowExecutionTimeout: '120s',
        });
      });
    } else if (kind === 'chat' || kind === 'agent') {
      await openLoop(o.jobs, o.rate, async (i) => {
        const jobId = await submit(
          http,
          {
            user_id: users[i % users.length],
            message: `What is ${i + 2} * ${round + 3}?`,
            ...(kind === 'agent' ? { tools: true } : {}),
          },
          () => (refused += 1),
        );
        jobIds.push(jobId);
        await awaitResult(target.client, jobId);
      });
    } else {
      const conversations = Math.max(1, Math.round(o.jobs / o.turnsPerConversation));
      await openLoop(conversations, o.rate / o.turnsPerConversation, async (c) => {
        const user = users[c % users.length]!;
        const conversationId = `c${tag}${c}`;
        for (let t = 0; t < o.turnsPerConversation; t += 1) {
          const jobId = await submit(
            http,
            { user_id: user, conversation_id: conversationId, message: `Turn ${t + 1}: hello` },
            () => (refused += 1),
          );
          jobIds.push(jobId);
          await awaitResult(target.client, jobId);
        }
        ownPrefixes.push(`~${conversationId}`);
      });
    }
  } finally {
    http.close();
  }
  await sleep(o.settleMs);
  const cpu1 = cpuMsOf(target.serverPid);
  const workerCpuMs = workerCpu.stop().ms;
  const after = await scrape(target.metricsUrl);
  const endMs = Date.now();
  const counts = countsBetween(before, after, target.namespace);
  const serverCpuMs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
  o.log(
    `  ${target.profile} ${kind} round ${round}: ${jobIds.length} jobs in ${round1((endMs - startMs) / 1000)} s; ` +
      `server CPU ${serverCpuMs === undefined ? 'n/a' : round1(serverCpuMs / jobIds.length)} ms/job; ` +
      `server actions ${round1(counts.actionsTotal / jobIds.length)}/job; heartbeats ${counts.heartbeats}, queries ${counts.queries}, refused ${refused}`,
  );
  return {
    kind,
    round,
    users,
    jobIds,
    ownPrefixes,
    startMs,
    endMs,
    serverCpuMs,
    workerCpuMs,
    counts,
    refused,
  };
}

const round1 = (v: number) => round(v, 1);

/** Every workflow run with activity since `sinceMs` (running, or closed since). */
async function executionsSince(
  client: Client,
  sinceMs: number,
): Promise<Array<{ workflowId: string; runId: string }>> {
  const since = new Date(sinceMs - 1_000).toISOString();
  const out: Array<{ workflowId: string; runId: string }> = [];
  for await (const wf of client.workflow.list({
    query: `ExecutionStatus = 'Running' OR CloseTime >= '${since}'`,
  }))
    out.push({ workflowId: wf.workflowId, runId: wf.runId });
  return out;
}

/** Runs the figure on one server. */
export async function measureJobCosts(
  target: JobCostTarget,
  o: JobCostOptions,
): Promise<JobCostFigure> {
  const idle0 = cpuMsOf(target.serverPid);
  const idleT0 = Date.now();
  await sleep(3_000);
  const idle1 = cpuMsOf(target.serverPid);
  const idleServerCpuMsPerS =
    idle0 !== undefined && idle1 !== undefined
      ? round1((idle1 - idle0) / ((Date.now() - idleT0) / 1000))
      : undefined;
  const firstStart = Date.now();
  const runs: KindRound[] = [];
  for (let r = 1; r <= o.rounds; r += 1)
    for (const kind of o.kinds) runs.push(await runKindRound(target, kind, r, o));

  // Histories: each run's own workflows and those of its users by id; anything else (fleet-wide
  // workflows) by the time of its events.
  const own = new Map<KindRound, HistoryCost>(runs.map((r) => [r, emptyCost()]));
  const other = new Map<KindRound, HistoryCost>(runs.map((r) => [r, emptyCost()]));
  const byJobId = new Map<string, KindRound>();
  for (const r of runs) for (const id of r.jobIds) byJobId.set(id, r);
  const ownerOf = (workflowId: string): { run: KindRound; own: boolean } | undefined => {
    const direct = byJobId.get(workflowId);
    if (direct) return { run: direct, own: true };
    for (const r of runs) {
      if (r.ownPrefixes.some((p) => workflowId.endsWith(p))) return { run: r, own: true };
      if (r.users.some((u) => workflowId.includes(u))) return { run: r, own: false };
    }
    return undefined;
  };
  const sharedWorkflows = new Set<string>();
  const executions = await executionsSince(target.client, firstStart);
  let next = 0;
  const fetchOne = async () => {
    while (next < executions.length) {
      const { workflowId, runId } = executions[next++]!;
      const history = await target.client.workflow
        .getHandle(workflowId, runId)
        .fetchHistory()
        .catch(() => undefined);
      const events = history?.events ?? [];
      const owner = ownerOf(workflowId);
      if (owner) {
        addCost((owner.own ? own : other).get(owner.run)!, historyCost(events));
        continue;
      }
      for (const r of runs) {
        const cost = historyCost(events, (e) => {
          const t = eventTimeMs(e);
          return t >= r.startMs && t < r.endMs;
        });
        if (cost.events > 0) {
          sharedWorkflows.add(workflowId);
          addCost(other.get(r)!, cost);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, fetchOne));

  const rows: JobCostRow[] = [];
  for (const kind of o.kinds) {
    const mine = runs.filter((r) => r.kind === kind);
    const jobs = mine.reduce((s, r) => s + r.jobIds.length, 0);
    const sum = (costs: Map<KindRound, HistoryCost>) => {
      const total = emptyCost();
      for (const r of mine) addCost(total, costs.get(r)!);
      return total;
    };
    const ownCost = sum(own);
    const otherCost = sum(other);
    const perJob = (c: HistoryCost): PerJob => ({
      events: round(c.events / jobs, 2),
      workflowTasks: round(c.workflowTasks / jobs, 2),
      actions: round(totalActions(c) / jobs, 2),
      visibilityWrites: round(c.visibilityWrites / jobs, 2),
    });
    const server = (f: (c: ServerCounts) => number) =>
      mine.reduce((s, r) => s + f(r.counts), 0) / jobs;
    const heartbeats = server((c) => c.heartbeats);
    const queries = server((c) => c.queries);
    const actionsByKind: Record<string, number> = {};
    for (const [k, v] of Object.entries(ownCost.actions))
      actionsByKind[k] = round(
        (v + otherCost.actions[k as keyof typeof ownCost.actions]) / jobs,
        2,
      );
    actionsByKind.heartbeats = round(heartbeats, 2);
    actionsByKind.queries = round(queries, 2);
    const serverActionsByType: Record<string, number> = {};
    for (const r of mine)
      for (const [t, v] of Object.entries(r.counts.actions))
        serverActionsByType[t] = (serverActionsByType[t] ?? 0) + v;
    for (const t of Object.keys(serverActionsByType))
      serverActionsByType[t] = round(serverActionsByType[t]! / jobs, 2);
    const cpuByRound = mine
      .filter((r) => r.serverCpuMs !== undefined)
      .map((r) => round1(r.serverCpuMs! / r.jobIds.length));
    const netByRound = mine
      .filter((r) => r.serverCpuMs !== undefined && idleServerCpuMsPerS !== undefined)
      .map(
        (r) =>
          (r.serverCpuMs! - (idleServerCpuMsPerS! * (r.endMs - r.startMs)) / 1000) /
          r.jobIds.length,
      );
    const visibilityWritesByOperation: Record<string, number> = {};
    for (const r of mine)
      for (const [op, v] of Object.entries(r.counts.visibilityWrites))
        visibilityWritesByOperation[op] = (visibilityWritesByOperation[op] ?? 0) + v;
    for (const op of Object.keys(visibilityWritesByOperation))
      visibilityWritesByOperation[op] = round(visibilityWritesByOperation[op]! / jobs, 2);
    rows.push({
      kind,
      jobs,
      rounds: mine.length,
      own: perJob(ownCost),
      other: perJob(otherCost),
      actionsPerJob: round(
        (totalActions(ownCost) + totalActions(otherCost)) / jobs + heartbeats + queries,
        2,
      ),
      actionsByKind,
      serverActionsPerJob: round(
        server((c) => c.actionsTotal),
        2,
      ),
      serverActionsByType,
      visibilityWritesPerJob: round(
        server((c) => c.visibilityWritesTotal),
        2,
      ),
      visibilityWritesByOperation,
      describesPerJob: round(
        server((c) => c.describes),
        2,
      ),
      serverCpuMsPerJob: round1(median(cpuByRound)),
      serverCpuMsPerJobNetOfIdle: round1(median(netByRound)),
      serverCpuMsPerJobByRound: cpuByRound,
      workerCpuMsPerJob: Object.fromEntries(
        [...new Set(mine.flatMap((r) => Object.keys(r.workerCpuMs)))].map((name) => [
          name,
          round1(median(mine.map((r) => (r.workerCpuMs[name] ?? NaN) / r.jobIds.length))),
        ]),
      ),
      windowS: round1(mine.reduce((s, r) => s + (r.endMs - r.startMs) / 1000, 0) / mine.length),
      refused: mine.reduce((s, r) => s + r.refused, 0),
    });
  }
  const { log: _log, ...settings } = o;
  return {
    profile: target.profile,
    settings,
    rows,
    idleServerCpuMsPerS,
    sharedWorkflows: [...sharedWorkflows],
  };
}
