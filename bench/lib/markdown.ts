/** Renders BENCHMARKS.md from one bench run's results. */
import { promises as fs } from 'node:fs';
import type { BenchResults, Ladder, SystemFigures } from '../run';
import type { JobCostFigure, JobCostRow } from './job-cost';
import type { LoadSummary } from './load-summary';

/** The peer baselines, in table order. */
const PEERS = ['bullmq', 'dbos', 'restate'] as const;
type PeerName = (typeof PEERS)[number];

/** A number for a table cell ('n/a' when missing or not finite). */
export const n = (v: number | undefined, digits = 1): string =>
  v === undefined || !Number.isFinite(v)
    ? 'n/a'
    : String(Math.round(v * 10 ** digits) / 10 ** digits);

function cpuLine(cpu: Record<string, number> | undefined): string {
  if (!cpu) return 'n/a';
  return Object.entries(cpu)
    .sort((a, b) => b[1] - a[1])
    .map(([name, pct]) => `${name} ${pct}%`)
    .join(', ');
}

/** A cell whose figure may be missing (a partial run): 'not measured' instead of a crash. */
function safe(cell: () => string): string {
  try {
    return cell();
  } catch {
    return 'not measured';
  }
}

/** Markdown table from a header and rows. */
export function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '-').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const KIND_LABEL: Record<string, string> = {
  bare: 'bare workflow (1 no-op activity)',
  chat: 'plain chat job',
  agent: 'agent job (calculator tool)',
  turn: 'conversation turn',
};

/** Our saturation over the bare workflow's, at the same criterion on the same server. */
function saturationRatio(ours: Ladder | undefined, bare: Ladder | undefined): string {
  if (!ours || !bare) return 'n/a';
  if (bare.saturationJobsPerS === 0) return 'n/a (bare held no rate)';
  return n(ours.saturationJobsPerS / bare.saturationJobsPerS, 2);
}

function summaryTable(r: BenchResults): string {
  // Partial runs leave figures out; every cell is computed through safe().
  const o = r.ours as SystemFigures | undefined;
  const b = r.bullmq as SystemFigures | undefined;
  const peers = PEERS.map((name) => r[name] as SystemFigures | undefined);
  /** One cell per peer (BullMQ, DBOS, Restate), each computed safely. */
  const each = (cell: (f: SystemFigures, name: PeerName) => string) =>
    peers.map((f, i) => safe(() => cell(f!, PEERS[i]!)));
  const acc = (s: LoadSummary) => `${n(s.acceptP50)} / ${n(s.acceptP99)}`;
  const overhead = (s: LoadSummary, model: number) =>
    `${n(s.e2eP50 - model, 0)} / ${n(s.e2eP95 - model, 0)}`;
  const f6 = (f: SystemFigures) => {
    const s = f.f6;
    const p = s.faultP95Ms;
    return `${s.completed}/${s.accepted} complete, lost ${s.lost}; max ${s.successfulModelCalls.max} successful call(s)/job; p95 penalty ${p ? n(p.faulted - p.clean, 0) : 'n/a'} ms`;
  };
  const f7 = (f: SystemFigures) => {
    const v = f.f7.verification;
    const rec = f.f7.recovery[0];
    return `lost ${v.lost}, not-once ${v.notExactlyOnce}; resume p50/max ${n(rec?.resumeMs.p50, 0)}/${n(rec?.resumeMs.max, 0)} ms (${rec?.affectedJobs ?? 0} jobs hit)`;
  };
  const f5 = (f: SystemFigures) => {
    const p1 = f.f5.one.processingP95;
    const p2 = f.f5.two.processingP95;
    return `${n(f.f5.oneJobsPerS)} → ${n(f.f5.twoJobsPerS)} jobs/s = ${n(f.f5.twoJobsPerS / f.f5.oneJobsPerS, 2)}×; p95 service time ${n(p1, 0)} → ${n(p2, 0)} ms (${n(((p2 - p1) / p1) * 100, 1)}%)`;
  };
  const f9 = (f: SystemFigures) =>
    `${n(f.f9.rssMb, 0)} (${f.f9.inFlight}/${f.f9.count} in flight after ${n(f.f9.fillS, 0)} s; idle ${n(f.f9.idleRssMb, 0)})`;
  const rows = [
    [
      '1',
      'POST→202 p50 / p99 at 50 req/s (ms)',
      safe(() => acc(o!.f1.at50)),
      ...each((f) => acc(f.f1.at50)),
      `p99 ≤ 10 ms; ratio ≤ 2× (ours/BullMQ p99: ${safe(() => n(o!.f1.at50.acceptP99 / b!.f1.at50.acceptP99, 2))}×)`,
    ],
    [
      '1',
      'POST→202 p50 / p99 at 200 req/s (ms)',
      safe(() => `${acc(o!.f1.at200)} (refused ${o!.f1.at200.refused}/${o!.f1.at200.sent})`),
      ...each((f) => acc(f.f1.at200)),
      `ratio ≤ 2× (${safe(() => n(o!.f1.at200.acceptP99 / b!.f1.at200.acceptP99, 2))}×)`,
    ],
    [
      '2',
      'overhead p50 / p95, fake 0 ms (ms)',
      safe(() => overhead(o!.f2.fake0, 0)),
      ...each((f) => overhead(f.f2.fake0, 0)),
      'p50 ≤ 30, p95 ≤ 100',
    ],
    [
      '2',
      'overhead p50 / p95, fake 3 s (ms)',
      safe(() => overhead(o!.f2.fake3s, 3000)),
      ...each((f) => overhead(f.f2.fake3s, 3000)),
      'p50 ≤ 30, p95 ≤ 100',
    ],
    [
      '3',
      'jobs/minute, one worker process, fake 3 s (200 slots)',
      safe(() => n(o!.f3.jobsPerMinute, 0)),
      ...each((f) => n(f.f3.jobsPerMinute, 0)),
      '≥ 2,000',
    ],
    [
      '4',
      'saturation, jobs/s: dev server',
      safe(
        () =>
          `${n(o!.f4.saturationJobsPerS, 0)} (bare Temporal ${n(r.bare.dev?.saturationJobsPerS, 0)}; ratio ${saturationRatio(o!.f4, r.bare.dev)})`,
      ),
      ...each(
        (f, name) =>
          `${n(f.f4.saturationJobsPerS, 0)} (ladder ${(name === 'bullmq' ? r.settings.bullmqLadder : (r.settings.peerLadder ?? [])).join(', ')})`,
      ),
      '≥ 50 jobs/s; ratio ≥ 0.9',
    ],
    [
      '4',
      'saturation, jobs/s: Temporal on PostgreSQL',
      r.pg
        ? `${n(r.pg.saturationJobsPerS, 0)} (bare ${n(r.bare.pg?.saturationJobsPerS, 0)}; ratio ${saturationRatio(r.pg, r.bare.pg)})`
        : 'not measured',
      '—',
      '—',
      '—',
      '≥ 50 jobs/s; ratio ≥ 0.9',
    ],
    [
      '5',
      'scaling 1 → 2 workers (fake 3 s, 20 slots each)',
      safe(() => f5(o!)),
      ...each((f, name) =>
        name === 'restate'
          ? `${f5(f)} (one service process: a deployment is one URL; two need a load balancer)`
          : f5(f),
      ),
      '≥ 1.8×; p95 change ≤ 10%',
    ],
    [
      '6',
      'faults: 10% 429 (retry-after 1 s) + 5% 529',
      safe(() => f6(o!)),
      ...each((f) => f6(f)),
      '100%; ≤ 1 call; penalty ≤ 2 s',
    ],
    [
      '7',
      'crash: SIGKILL a worker mid-job',
      safe(() => f7(o!)),
      ...each((f) => f7(f)),
      '0 lost; resume ≤ heartbeat (5 s) + 1 s',
    ],
    [
      '8',
      'GET /chat/:id p50 / p99 at 100 polls/s (ms)',
      safe(() => `${n(o!.f8.p50)} / ${n(o!.f8.p99)} (running jobs p99 ${n(o!.f8.runningP99)})`),
      ...each((f) => `${n(f.f8.p50)} / ${n(f.f8.p99)}`),
      '≤ 10 ms',
    ],
    [
      '9',
      'worker RSS with 1,000 calls in flight (MB)',
      safe(() => f9(o!)),
      ...each((f) => f9(f)),
      '≤ 300 MB',
    ],
    [
      '10',
      'durable writes per plain chat job',
      safe(() => {
        const chat = r.jobCost.dev!.rows.find((row) => row.kind === 'chat')!;
        return `${n(chat.own.events + chat.other.events, 2)} history events, ${n(chat.own.workflowTasks + chat.other.workflowTasks, 2)} workflow tasks`;
      }),
      'not exposed (Redis commands per job are not counted)',
      safe(
        () =>
          `${n(r.peerCost!.dbos!.rowsPerJob, 1)} PostgreSQL rows, ${n(r.peerCost!.dbos!.walBytesPerJob! / 1024, 1)} KiB WAL`,
      ),
      safe(() => `${n(r.peerCost!.restate!.journalEntriesPerJob, 2)} journal entries`),
      'lower is cheaper',
    ],
    [
      '—',
      'priority between jobs',
      'yes (priority + fairness keys)',
      'yes (job priority)',
      'yes (queue priority)',
      'none (Restate has no priority; not emulated)',
      '—',
    ],
  ];
  return table(
    ['#', 'figure', 'Agent Fleet (Temporal)', 'BullMQ', 'DBOS Transact', 'Restate', 'target'],
    rows,
  );
}

/** The per-job cost table of one server profile (figure 10). */
export function jobCostTable(f: JobCostFigure): string {
  const bare = f.rows.find((row) => row.kind === 'bare');
  const both = (own: number, other: number) =>
    other > 0 ? `${n(own, 2)} + ${n(other, 2)}` : n(own, 2);
  const vsBare = (row: JobCostRow) =>
    bare && row.kind !== 'bare' && bare.serverCpuMsPerJob > 0
      ? ` (${n(row.serverCpuMsPerJob / bare.serverCpuMsPerJob, 2)}×)`
      : '';
  return table(
    [
      'job',
      'history events (own + other)',
      'workflow tasks (own + other)',
      'billable actions',
      'server `action` counter',
      'visibility writes',
      'server CPU-ms (× bare)',
    ],
    f.rows.map((row) => [
      KIND_LABEL[row.kind] ?? row.kind,
      both(row.own.events, row.other.events),
      both(row.own.workflowTasks, row.other.workflowTasks),
      n(row.actionsPerJob, 2),
      n(row.serverActionsPerJob, 2),
      n(row.visibilityWritesPerJob, 2),
      `${n(row.serverCpuMsPerJob, 1)}${vsBare(row)}; net of idle ${n(row.serverCpuMsPerJobNetOfIdle, 1)}`,
    ]),
  );
}

/** Billable actions per job by kind (figure 10). */
function actionBreakdown(f: JobCostFigure): string {
  const kinds = [...new Set(f.rows.flatMap((row) => Object.keys(row.actionsByKind)))].filter((k) =>
    f.rows.some((row) => (row.actionsByKind[k] ?? 0) > 0),
  );
  return table(
    ['job', ...kinds],
    f.rows.map((row) => [
      KIND_LABEL[row.kind] ?? row.kind,
      ...kinds.map((k) => n(row.actionsByKind[k], 2)),
    ]),
  );
}

function jobCostSection(r: BenchResults): string {
  const parts: string[] = ['## A job in Temporal units (figure 10)', ''];
  const figs = [r.jobCost.dev, r.jobCost.pg].filter((f): f is JobCostFigure => f !== undefined);
  if (figs.length === 0) return [...parts, 'Not measured in this run.', ''].join('\n');
  const s = figs[0]!.settings;
  parts.push(
    `Per job, ${s.jobs} jobs per kind and round at ${s.rate} jobs/s over ${s.users} users, ${s.rounds} round(s), kinds alternating (bare, chat, agent, turn, bare, …); conversation turns in conversations of ${s.turnsPerConversation}. ` +
      '"Own" = the job\'s workflow(s) (a turn: its conversation workflow and the turn\'s child); "other" = workflows the job causes (usage ledger `usage~<user>`, rate governor, …), divided over the jobs. ' +
      "Billable actions follow Temporal Cloud's published list (docs.temporal.io/cloud/actions): workflow starts, activity attempts, local activities (one per workflow task), signals, updates, timers, search-attribute upserts, child starts, from the histories; plus heartbeats and queries from the server's request counters. " +
      "The server's own `action` counter (frontend; metered like Cloud since server 1.22.3) is beside it as a check. " +
      "Visibility writes and CPU come from the server (visibility persistence counters; /proc over the window from the first submission to the last job's end + 2 s). Jobs are awaited through a Temporal result long-poll (as the bare workflow's `execute`), not by polling the API.",
    '',
  );
  for (const f of figs) {
    parts.push(
      `### ${f.profile}`,
      '',
      jobCostTable(f),
      '',
      'Billable actions per job by kind:',
      '',
      actionBreakdown(f),
      '',
      `Idle server CPU before the rounds: ${n(f.idleServerCpuMsPerS)} ms/s (included in the windows). CPU per round: ${f.rows.map((row) => `${row.kind} ${row.serverCpuMsPerJobByRound.join(' / ')}`).join('; ')} ms/job.${f.sharedWorkflows.length > 0 ? ` Shared workflows counted by time window: ${f.sharedWorkflows.map((w) => `\`${w}\``).join(', ')}.` : ''}`,
      '',
    );
  }
  return parts.join('\n');
}

/** Figure 10's peer rows: what each peer writes durably per chat job. */
function peerCostSection(r: BenchResults): string {
  const d = r.peerCost?.dbos;
  const rs = r.peerCost?.restate;
  if (!d && !rs) return '';
  const lines = [
    '### The peers: durable writes per plain chat job',
    '',
    'Chat jobs one at a time at 10 jobs/s, each awaited through the API. DBOS: rows inserted, ' +
      'updated or deleted in its database (`pg_stat_database`) and WAL bytes ' +
      '(`pg_current_wal_lsn`, server-wide: figures are exact on a quiet server only). Restate: ' +
      "entries of each job's `run` invocation in `sys_journal` (admin SQL introspection; the " +
      "`status` reads are invocations of their own, like our API's describe calls, and left " +
      'out). BullMQ does not expose a per-job count of its Redis writes.',
    '',
  ];
  if (d)
    lines.push(
      `- DBOS: ${d.completed}/${d.jobs} completed; ${n(d.rowsPerJob, 1)} rows and ${n(d.walBytesPerJob, 0)} WAL bytes per job`,
    );
  if (rs)
    lines.push(
      `- Restate: ${rs.completed}/${rs.jobs} completed; ${n(rs.journalEntriesPerJob, 2)} journal entries per job (${Object.entries(
        rs.journalByType ?? {},
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    );
  return `${lines.join('\n')}\n`;
}

function cpuSection(r: BenchResults): string {
  const lines: string[] = ['## CPU per process (100% = one core)', ''];
  const add = (label: string, cpu: Record<string, number> | undefined) =>
    lines.push(`- ${label}: ${cpuLine(cpu)}`);
  add('ours, 200 req/s accept run', r.ours?.f1?.at200.cpu);
  add('BullMQ, 200 req/s accept run', r.bullmq?.f1?.at200.cpu);
  add('DBOS, 200 req/s accept run', r.dbos?.f1?.at200.cpu);
  add('Restate, 200 req/s accept run', r.restate?.f1?.at200.cpu);
  const lastOurs = r.ours?.f4?.steps.at(-1);
  add(`ours, saturation ladder last step (${lastOurs?.rate ?? '?'} jobs/s)`, lastOurs?.cpu);
  const lastBull = r.bullmq?.f4?.steps.at(-1);
  add(`BullMQ, saturation ladder last step (${lastBull?.rate ?? '?'} jobs/s)`, lastBull?.cpu);
  const lastPg = r.pg?.steps.at(-1);
  add(`ours on PostgreSQL, last step (${lastPg?.rate ?? '?'} jobs/s)`, lastPg?.cpu);
  add('ours, one worker at fake 3 s (F3)', r.ours?.f3?.measured.cpu);
  add('ours, GET at 100/s (F8)', r.ours?.f8?.cpu);
  lines.push('');
  const ladder = (name: string, l: Ladder | undefined) =>
    lines.push(
      `- ${name}: ${l?.steps.map((s) => `${s.rate}/s → p99 ${Math.round(s.queueWaitP99Ms)} ms${s.pass ? '' : ' ✗'}`).join('; ') ?? 'n/a'}`,
    );
  lines.push(
    '### Saturation ladders (queue-wait p99 per offered rate)',
    '',
    `Criterion for every system: ${r.settings.criterion}; steps of ${r.settings.ladderStepS} s, the systems' steps interleaved rate by rate.`,
    '',
  );
  ladder('ours, dev server', r.ours?.f4);
  ladder('bare Temporal, dev server', r.bare.dev);
  ladder('BullMQ', r.bullmq?.f4);
  ladder('DBOS Transact', r.dbos?.f4);
  ladder('Restate', r.restate?.f4);
  ladder('ours, PostgreSQL', r.pg);
  ladder('bare Temporal, PostgreSQL', r.bare.pg);
  return lines.join('\n');
}

/** Writes BENCHMARKS.md, keeping any hand-written analysis below the generated part. */
export async function writeBenchmarksMd(file: string, r: BenchResults): Promise<void> {
  const MARK = '<!-- end of generated section -->';
  let tail = '';
  try {
    const old = await fs.readFile(file, 'utf8');
    const at = old.indexOf(MARK);
    if (at >= 0) tail = old.slice(at + MARK.length);
  } catch {
    // First run.
  }
  const text = `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts) on ${r.finishedAt ?? r.startedAt}; raw figures in
\`bench/results/latest.json\`. All systems measured in this one run, on this machine, alternating
round by round (A, B, A, B); ${r.rounds} round(s) per latency figure, medians over rounds (the
mean of the middle two for an even count).${r.only ? ` Only figures ${r.only.join(', ')} were run.` : ''}

## Machine and versions

- ${r.machine.cores} cores (${r.machine.cpus}), ${r.machine.memoryGiB} GiB, Linux ${r.machine.kernel}; load average at start ${r.machine.loadAvgAtStart.join(' / ')}.
  The machine may be shared: other processes may have been running, so figures are indicative,
  not lab-grade.
- ${Object.entries(r.versions)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ')}

## Settings

- Our stack: Temporal dev server (SQLite file, its Prometheus metrics on), API, one workflow
  worker, two activity workers (default \`MAX_CONCURRENT_CLAUDE_CALLS\`=200), fake Claude, each its
  own process (src/stack/local-stack.ts); default retry policy and heartbeat timeout (5 s).
- BullMQ: bench/baselines/bullmq — same REST contract, same fake Claude and SDK call, Redis
  127.0.0.1:6379, two worker processes with concurrency 200 (BullMQ's default is 1; matched to our
  slots), attempts 20, exponential backoff from 1 s that honours the model's \`retry-after\` (a
  custom backoff strategy, like our activity's \`nextRetryDelay\`), lock duration 5 s (our
  heartbeat timeout) and a stalled-job check every 1 s (BullMQ's defaults: 30 s and 30 s).
  **BullMQ has no admission control**: its API enqueues whatever arrives (Redis memory is the
  only limit) and never answers 503, so its accept latency is that of an unbounded queue.
- DBOS Transact (${r.versions.dbos ?? 'n/a'}): bench/baselines/dbos — same contract, fake and SDK
  call; one DBOS workflow per chat with the model call as one step, step retries as our policy
  (20 attempts, 1 s first interval, ×2; a permanent 4xx is not retried; DBOS has no per-error
  delay, so a 429's \`retry-after\` is not honoured and the exponential backoff has no cap); one
  DBOS queue with priority (our level, 1 highest) and \`workerConcurrency\` 200 per worker
  process (our slots); two worker processes, each its own executor id (DBOS recovers a crashed
  process's workflows when a process with its executor id launches again); queue polling every
  100 ms (DBOS's default is 1 s); its own database on the local PostgreSQL
  (${r.versions.postgres ?? 'n/a'}), created with DBOS's schema and dropped after the run. The API
  enqueues and reads status through a \`DBOSClient\`; no admission control.
- Restate (server ${r.versions.restateServer ?? 'n/a'}, SDK ${r.versions.restateSdk ?? 'n/a'}):
  bench/baselines/restate — same contract, fake and SDK call; one Restate workflow per chat
  (key = job id) with the model call in \`ctx.run\`, retried as our policy (20 attempts, 1 s
  first interval, ×2, at most 30 s) and after the model's \`retry-after\` (a \`RetryableError\`);
  single-node restate-server from the npm package (its documented local setup, default
  settings but a 512 MiB RocksDB budget), data in a temporary directory; one service process
  registered as the deployment (a deployment is one URL: more processes need a load balancer,
  so figure 5 runs one). GET asks the workflow's shared \`status\` handler. **Restate has no
  priority** (the table says so; not emulated) and no per-deployment concurrency limit (the
  server's invoker limit, default 1,000 concurrent invocations, applies). No admission control.
- Load: open loop (src/loadtest), arithmetic messages with checkable answers, one fake-model key per
  job; latencies from server timestamps (\`submitted_at\`, \`started_at\`, \`completed_at\`);
  accept latency is the client's POST round trip. CPU per job divides CPU-ms over the whole
  window (offered load and drain) by the jobs completed in it.
- Overhead (2) = end-to-end − the fake's configured latency. Scaling (5): offered 15 jobs/s to
  20 slots × 3 s per worker (saturated), throughput = completions/s in steady state; "p95" is the
  service time (completed − started). Faults (6): per job, 10% get \`fail=429:1\`, 5% \`fail=529\`
  on the first attempt; penalty = p95 e2e of faulted − clean jobs. Crash (7): 5 jobs/s, fake 3 s, one
  worker SIGKILLed, restarted 2 s later; resume = kill → the retry's call reaching the model.
  Memory (9): one worker with 1,000 slots, 1,000 jobs whose model call lasts 240 s; RSS is read
  once the fake holds all of them open (or the count stops growing for 30 s: the table says how
  many were in flight). Saturation (4): open-loop steps of ${r.settings.ladderStepS} s at ${r.settings.ladder.join(', ')} jobs/s
  (BullMQ: ${r.settings.bullmqLadder.join(', ')}; DBOS and Restate: ${(r.settings.peerLadder ?? []).join(', ') || 'n/a'}) until one fails (${r.settings.criterion}); our
  stack and the bare workflow (bench/bare: one workflow, one no-op activity, started straight
  through the Temporal client) on the same server, their steps interleaved.
${r.quick ? '\n**Quick (smoke) run: durations shortened, one round, not a result.**\n' : ''}
## Summary

${summaryTable(r)}

${jobCostSection(r)}
${peerCostSection(r)}
${cpuSection(r)}
${r.errors.length > 0 ? `\n## Errors during the run\n\n${r.errors.map((e) => `- ${e}`).join('\n')}\n` : ''}
## Reproduce

\`\`\`sh
npm ci && npm run build        # the Temporal CLI and server are found or built on first use
redis-server --daemonize yes   # if Redis is not running on 127.0.0.1:6379
npm run bench                  # ~13 minutes on 2 cores; add -- --skip-pg without PostgreSQL
npm run bench -- --only=10,pg  # a subset of figures (1–10, pg); bench/results/only-*.json
npm run bench -- --quick       # smoke run (bench/results/quick.json only)
\`\`\`

${MARK}${tail}`;
  await fs.writeFile(file, text.endsWith('\n') ? text : `${text}\n`);
}
