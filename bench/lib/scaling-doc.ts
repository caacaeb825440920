/**
 * The generated part of docs/scaling.md: cluster and worker sizing for 100 and 1,000 jobs/s at 3 s
 * and 30 s model latency, computed from one bench run's per-job costs (figure 10) and worker
 * figures, each figure naming the measurement it rests on. Hand-written text outside the markers
 * is kept.
 */
import { promises as fs } from 'node:fs';
import type { BenchResults } from '../run';
import type { JobCostFigure, JobCostRow } from './job-cost';
import { n, table } from './markdown';

export const SCALING_START = '<!-- scaling:generated:start -->';
export const SCALING_END = '<!-- scaling:generated:end -->';

/** Assumptions of the arithmetic (stated in the document). */
export const SCALING_ASSUMPTIONS = {
  /**
   * A model call's first heartbeat: one timer interval (CLAUDE_HEARTBEAT_TIMEOUT_MS / 3) after it
   * starts, so a shorter call sends none (the bench's 0-ms calls send none).
   */
  firstHeartbeatS: 5 / 3,
  /** Then the SDK heartbeat throttle: 0.8 × CLAUDE_HEARTBEAT_TIMEOUT_MS (5 s). */
  heartbeatEveryS: 4,
  /** Cores per Temporal/worker host and the utilisation we size to. */
  hostCores: 4,
  targetUtilisation: 0.6,
  /** Share of the Temporal server's CPU per service (one process here, so not measured). */
  serviceShare: { history: 0.5, matching: 0.25, frontend: 0.25 },
  /** At least this many hosts per service (one can fail). */
  minHostsPerService: 2,
  /** MAX_CONCURRENT_CLAUDE_CALLS default. */
  slotsPerWorker: 200,
  /** Slots kept free for bursts. */
  slotHeadroom: 1.25,
  /** Temporal Cloud list price per million actions (entry tier; check current pricing). */
  usdPerMillionActions: 50,
  /** KEDA settings in deploy/k8s/keda-scaledobject.yaml. */
  kedaTargetQueueSize: 50,
  kedaMaxReplicas: 20,
} as const;

const RATES = [100, 1_000];
const LATENCIES_S = [3, 30];

/** Model calls per job (the agent's calculator path makes two; a chat job one). */
const MODEL_CALLS: Record<string, number> = { bare: 0, chat: 1, agent: 2, turn: 1 };

/** Longest line the docs allow (test/docs-links.test.ts). */
const WIDTH = 120;

/** A word that would start a list, quote, heading or table row at the start of a line. */
const BLOCK_START = /^([-+*>#|]|\d+[.)])$/;

/**
 * Wraps prose at WIDTH characters: `first` prefixes the first line, `rest` the others (a list
 * item's indent). Code spans stay whole, and no line starts with a word Markdown would read as a
 * block marker.
 */
export function wrap(text: string, first = '', rest = ''): string {
  const words: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = words[words.length - 1];
    // Inside an open code span (odd number of backticks so far): keep the word with it.
    if (last !== undefined && (last.match(/`/g) ?? []).length % 2 === 1) {
      words[words.length - 1] = `${last} ${word}`;
    } else words.push(word);
  }
  const lines: string[][] = [[]];
  const length = (line: string[], i: number) =>
    (i === 0 ? first : rest).length + line.join(' ').length;
  for (const word of words) {
    const line = lines[lines.length - 1]!;
    if (line.length === 0 || length([...line, word], lines.length - 1) <= WIDTH) {
      line.push(word);
      continue;
    }
    // Carry the previous word down with a word that must not start a line.
    const carried = BLOCK_START.test(word) && line.length > 1 ? [line.pop()!] : [];
    lines.push([...carried, word]);
  }
  return lines.map((line, i) => (i === 0 ? first : rest) + line.join(' ')).join('\n');
}

/** A list item wrapped at WIDTH. */
const item = (text: string) => wrap(text, '- ', '  ');

const ceil = Math.ceil;
const pow2AtLeast = (v: number) => 2 ** Math.max(0, ceil(Math.log2(Math.max(1, v))));

/** The figure CPU and cluster sizing rest on: PostgreSQL when measured (a real server), else dev. */
function basis(r: BenchResults): JobCostFigure | undefined {
  return r.jobCost.pg ?? r.jobCost.dev;
}

function row(f: JobCostFigure | undefined, kind: string): JobCostRow | undefined {
  return f?.rows.find((x) => x.kind === kind);
}

/** Heartbeats of one model call lasting `latencyS`: none before the first is due. */
function heartbeatsPerCall(latencyS: number): number {
  const { firstHeartbeatS, heartbeatEveryS } = SCALING_ASSUMPTIONS;
  if (latencyS < firstHeartbeatS) return 0;
  return 1 + Math.floor((latencyS - firstHeartbeatS) / heartbeatEveryS);
}

/** Actions per job at model latency `latencyS`: measured (fake 0 ms) plus the longer calls' heartbeats. */
function actionsAt(rw: JobCostRow, latencyS: number): number {
  return rw.actionsPerJob + (MODEL_CALLS[rw.kind] ?? 1) * heartbeatsPerCall(latencyS);
}

function inputsTable(r: BenchResults, f: JobCostFigure | undefined): string {
  const rows: string[][] = [];
  for (const kind of ['bare', 'chat', 'agent', 'turn']) {
    const rw = row(f, kind);
    if (!rw) continue;
    rows.push([
      kind,
      n(rw.own.events + rw.other.events, 2),
      n(rw.own.workflowTasks + rw.other.workflowTasks, 2),
      n(rw.actionsPerJob, 2),
      n(rw.visibilityWritesPerJob, 2),
      n(rw.serverCpuMsPerJob, 1),
    ]);
  }
  const src = f ? `\`jobCost.${f === r.jobCost.pg ? 'pg' : 'dev'}\`` : 'not measured';
  return [
    wrap(
      `Per job, measured on the ${f?.profile ?? '—'} profile (the bench's results JSON, ${src}; model latency 0 ms):`,
    ),
    '',
    table(
      [
        'job',
        'history events',
        'workflow tasks',
        'billable actions',
        'visibility writes',
        'server CPU-ms',
      ],
      rows,
    ),
  ].join('\n');
}

/**
 * Worker figures per plain chat job: CPU from figure 10 (same window as the server's CPU; both
 * activity workers summed), memory per held call from figure 9.
 */
function workerInputs(r: BenchResults) {
  const chat = row(r.jobCost.dev, 'chat')?.workerCpuMsPerJob
    ? row(r.jobCost.dev, 'chat')
    : row(r.jobCost.pg, 'chat');
  const cpu = chat?.workerCpuMsPerJob ?? {};
  const sum = (prefix: string) =>
    Object.entries(cpu)
      .filter(([name]) => name.startsWith(prefix))
      .reduce((s, [, v]) => s + (Number.isFinite(v) ? v : 0), 0);
  const f9 = r.ours?.f9;
  const perCallMb =
    f9 && f9.inFlight > 0 && f9.rssMb !== undefined && f9.idleRssMb !== undefined
      ? (f9.rssMb - f9.idleRssMb) / f9.inFlight
      : NaN;
  return {
    activityCpuMsPerJob: chat ? sum('worker-activities') : NaN,
    workflowCpuMsPerJob: chat ? sum('worker-workflows') : NaN,
    perCallMb,
    idleMb: f9?.idleRssMb ?? NaN,
  };
}

/** One row per rate and latency: the cluster's load and size, and the worker fleet's. */
function sizingTables(r: BenchResults, f: JobCostFigure | undefined): string {
  const chat = row(f, 'chat');
  const bare = row(f, 'bare');
  const a = SCALING_ASSUMPTIONS;
  const w = workerInputs(r);
  // One shard sustained the bare workflow's saturation on the dev server (1 history shard).
  const bareEventsPerS =
    (r.bare.dev?.saturationJobsPerS ?? NaN) *
    ((bare?.own.events ?? NaN) + (bare?.other.events ?? 0));
  const cluster: string[][] = [];
  const workers: string[][] = [];
  for (const rate of RATES)
    for (const latency of LATENCIES_S) {
      if (!chat) continue;
      const events = rate * (chat.own.events + chat.other.events);
      const cores = (rate * chat.serverCpuMsPerJob) / 1000;
      const hosts = (share: number) =>
        Math.max(a.minHostsPerService, ceil((cores * share) / (a.hostCores * a.targetUtilisation)));
      const shards = Math.max(512, pow2AtLeast((events / bareEventsPerS) * 4));
      const inFlight = rate * latency * (MODEL_CALLS.chat ?? 1);
      const bySlots = ceil((inFlight * a.slotHeadroom) / a.slotsPerWorker);
      const byCpu = ceil((rate * w.activityCpuMsPerJob) / 1000 / a.targetUtilisation);
      const activityWorkers = Math.max(bySlots, Number.isFinite(byCpu) ? byCpu : 0);
      const wfCores = (rate * w.workflowCpuMsPerJob) / 1000;
      cluster.push([
        String(rate),
        `${latency} s`,
        n(rate * actionsAt(chat, latency), 0),
        n(events, 0),
        n(rate * (chat.own.workflowTasks + chat.other.workflowTasks), 0),
        n(rate * chat.visibilityWritesPerJob, 0),
        n(cores, 1),
        `${hosts(a.serviceShare.frontend)} / ${hosts(a.serviceShare.history)} / ${hosts(a.serviceShare.matching)}`,
        Number.isFinite(shards) ? String(shards) : 'n/a',
      ]);
      workers.push([
        String(rate),
        `${latency} s`,
        n(inFlight, 0),
        String(activityWorkers),
        String(bySlots),
        Number.isFinite(byCpu) ? String(byCpu) : 'n/a',
        n(wfCores / a.targetUtilisation, 1),
      ]);
    }
  return [
    '#### Temporal cluster',
    '',
    table(
      [
        'jobs/s',
        'latency',
        'actions/s',
        'events/s',
        'WF tasks/s',
        'visibility/s',
        'server cores',
        'hosts F / H / M',
        'shards',
      ],
      cluster,
    ),
    '',
    wrap(
      'Per second: billable actions, history events, workflow tasks and visibility writes. ' +
        `Server cores: Temporal server cores. Hosts: ${a.hostCores}-core hosts for frontend / history / matching. ` +
        'Shards: history shards.',
    ),
    '',
    '#### Workers',
    '',
    table(
      [
        'jobs/s',
        'latency',
        'calls in flight',
        'activity workers',
        'by slots',
        'by CPU',
        'workflow-worker cores',
      ],
      workers,
    ),
    '',
    wrap(
      `Calls in flight: model calls in flight. Activity workers of ${a.slotsPerWorker} slots each: ` +
        'the larger of the count by slots and the count by CPU.',
    ),
  ].join('\n');
}

function cloudTable(f: JobCostFigure | undefined): string {
  const rows: string[][] = [];
  for (const kind of ['chat', 'agent', 'turn', 'bare']) {
    const rw = row(f, kind);
    if (!rw) continue;
    const cells = LATENCIES_S.flatMap((l) => {
      const perM = actionsAt(rw, l) * 1e6;
      return [
        `${n(perM / 1e6, 2)} M ($${n((perM / 1e6) * SCALING_ASSUMPTIONS.usdPerMillionActions, 0)})`,
      ];
    });
    rows.push([kind, n(rw.actionsPerJob, 2), ...cells]);
  }
  return table(
    ['job', 'actions/job at 0 ms', ...LATENCIES_S.map((l) => `per million jobs at ${l} s`)],
    rows,
  );
}

function defaultsSection(r: BenchResults): string {
  const a = SCALING_ASSUMPTIONS;
  const w = workerInputs(r);
  const lines: string[] = [];
  const perWorkerMb = w.idleMb + a.slotsPerWorker * w.perCallMb;
  lines.push(
    item(
      `**\`MAX_CONCURRENT_CLAUDE_CALLS\` = ${a.slotsPerWorker}.** A held model call costs ${n(w.perCallMb, 2)} MB of worker RSS (figure 9: (${n(r.ours?.f9?.rssMb, 0)} − ${n(w.idleMb, 0)} idle) MB over ${r.ours?.f9?.inFlight ?? 'n/a'} calls in flight), so ${a.slotsPerWorker} slots take about ${n(perWorkerMb, 0)} MB. ` +
        `A job costs the activity workers ${n(w.activityCpuMsPerJob, 1)} CPU-ms (figure 10, both activity workers over the same window as the server's CPU, idle time included), so ${a.slotsPerWorker} slots at 3 s are ${n(a.slotsPerWorker / 3, 0)} jobs/s and ${n(((a.slotsPerWorker / 3) * w.activityCpuMsPerJob) / 1000, 2)} cores; at 30 s, ${n(a.slotsPerWorker / 30, 1)} jobs/s and ${n(((a.slotsPerWorker / 30) * w.activityCpuMsPerJob) / 1000, 2)} cores. ` +
        "The slots, not CPU, are what a worker runs out of; Claude's rate limits usually bind before either.",
    ),
  );
  lines.push(
    item(
      `**KEDA \`targetQueueSize\` = ${a.kedaTargetQueueSize}** (Claude queue): a pod with ${a.slotsPerWorker} slots works off a backlog of ${a.kedaTargetQueueSize} in ${n((a.kedaTargetQueueSize * 3) / a.slotsPerWorker, 2)} s at 3 s per call and ${n((a.kedaTargetQueueSize * 30) / a.slotsPerWorker, 1)} s at 30 s, so a backlog above it per pod is worth another pod. ` +
        `**\`maxReplicaCount\` = ${a.kedaMaxReplicas}** holds ${a.kedaMaxReplicas * a.slotsPerWorker} calls: ${n((a.kedaMaxReplicas * a.slotsPerWorker) / 3, 0)} jobs/s at 3 s, ${n((a.kedaMaxReplicas * a.slotsPerWorker) / 30, 0)} jobs/s at 30 s. The 1,000 jobs/s rows above need more: raise it to the workers table's count.`,
    ),
  );
  return lines.join('\n');
}

/** The generated section's text. */
export function scalingSection(r: BenchResults): string {
  const f = basis(r);
  const a = SCALING_ASSUMPTIONS;
  return [
    SCALING_START,
    '',
    wrap(
      `_Generated by \`npm run bench\` on ${r.finishedAt ?? r.startedAt} (${r.machine.cores} cores, ${r.machine.cpus}, load average ${r.machine.loadAvgAtStart.join(' / ')} at start); edit bench/lib/scaling-doc.ts, not this section._`,
    ),
    '',
    ...(r.quick || r.only
      ? [
          wrap(
            `**From a ${r.quick ? 'quick (smoke) ' : ''}run${r.only ? ` of figures ${r.only.join(', ')} only` : ''}: indicative, not a result. A full \`npm run bench\` replaces it.**`,
          ),
          '',
        ]
      : []),
    '### Measured inputs',
    '',
    ...[r.jobCost.dev, r.jobCost.pg]
      .filter((fig): fig is JobCostFigure => fig !== undefined)
      .flatMap((fig) => [inputsTable(r, fig), '']),
    wrap(
      `The sizing below rests on the ${f?.profile ?? '—'} figures (a full server when measured).`,
    ),
    '',
    wrap(
      `Dev-server saturation of the bare workflow (one history shard, SQLite): ${n(r.bare.dev?.saturationJobsPerS, 0)} jobs/s; on the PostgreSQL profile (its shard count in deploy/temporal-postgres/agent-fleet.yaml): ${n(r.bare.pg?.saturationJobsPerS, 0)} jobs/s. Activity-worker CPU per job ${n(workerInputs(r).activityCpuMsPerJob, 1)} ms, workflow-worker CPU per job ${n(workerInputs(r).workflowCpuMsPerJob, 1)} ms (figure 10).`,
    ),
    '',
    '### Sizing for plain chat jobs',
    '',
    sizingTables(r, f),
    '',
    wrap(
      `Actions/s add the heartbeats of each model call to the measured actions (0-ms calls send none): none for a call shorter than ${n(a.firstHeartbeatS, 2)} s (CLAUDE_HEARTBEAT_TIMEOUT_MS / 3), else 1 + ⌊(latency − ${n(a.firstHeartbeatS, 2)} s) / ${a.heartbeatEveryS} s⌋. Server cores = rate × measured server CPU-ms per job (all services in one process; the database's own CPU is not included). Hosts: cores split ${a.serviceShare.frontend * 100}% frontend / ${a.serviceShare.history * 100}% history / ${a.serviceShare.matching * 100}% matching (assumed), ${a.hostCores}-core hosts at ${a.targetUtilisation * 100}% utilisation, at least ${a.minHostsPerService} each. Shards: 4× the load one shard carried here (bare saturation on the one-shard dev server × its events per job), rounded up to a power of two, at least 512. Activity workers: calls in flight (Little's law: rate × latency × model calls per job) × ${a.slotHeadroom} over ${a.slotsPerWorker} slots, or CPU at ${a.targetUtilisation * 100}%, whichever is more.`,
    ),
    '',
    '### Temporal Cloud actions per million jobs',
    '',
    cloudTable(f),
    '',
    wrap(
      `Dollar figures at $${a.usdPerMillionActions} per million actions (an entry-tier list price; check current pricing).`,
    ),
    '',
    '### Where the worker defaults come from',
    '',
    defaultsSection(r),
    '',
    SCALING_END,
  ].join('\n');
}

/** Writes the generated section into docs/scaling.md (creating the file if needed). */
export async function writeScalingDoc(file: string, r: BenchResults): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    text = `# Scaling\n\n${SCALING_START}\n${SCALING_END}\n`;
  }
  const start = text.indexOf(SCALING_START);
  const end = text.indexOf(SCALING_END);
  const section = scalingSection(r);
  text =
    start >= 0 && end > start
      ? `${text.slice(0, start)}${section}${text.slice(end + SCALING_END.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  await fs.writeFile(file, text);
}
