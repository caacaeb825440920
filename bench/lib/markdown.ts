/** Renders BENCHMARKS.md from one bench run's results. */
import { promises as fs } from 'node:fs';
import type { BenchResults, SystemFigures } from '../run';

const n = (v: number | undefined, digits = 1): string =>
  v === undefined || !Number.isFinite(v)
    ? 'n/a'
    : String(Math.round(v * 10 ** digits) / 10 ** digits);

function overhead(f: SystemFigures | undefined, which: 'fake0' | 'fake3s', model: number) {
  const e = f?.f2[which].report.latencyMs.endToEnd;
  return e ? `${n(e.p50 - model)} / ${n(e.p95 - model)}` : 'n/a';
}

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

function summaryTable(r: BenchResults): string {
  // Partial runs (time cap) leave figures out; every cell is computed through safe().
  const o = r.ours as SystemFigures | undefined;
  const b = r.bullmq as SystemFigures | undefined;
  const acc = (f: SystemFigures | undefined, at: 'at50' | 'at200') =>
    f
      ? `${n(f.f1[at].report.latencyMs.accept.p50)} / ${n(f.f1[at].report.latencyMs.accept.p99)}`
      : 'n/a';
  const ratio = (at: 'at50' | 'at200') =>
    o && b
      ? n(o.f1[at].report.latencyMs.accept.p99 / b.f1[at].report.latencyMs.accept.p99, 2)
      : 'n/a';
  const f6 = (f: SystemFigures | undefined) => {
    if (!f) return 'n/a';
    const c = f.f6.report.counts;
    const p = f.f6.faultP95Ms;
    return `${c.completed}/${c.accepted} complete, lost ${c.lost}; max ${f.f6.successfulModelCalls.max} successful call(s)/job; p95 penalty ${p ? n(p.faulted - p.clean, 0) : 'n/a'} ms`;
  };
  const f7 = (f: SystemFigures | undefined) => {
    if (!f) return 'n/a';
    const v = f.f7.verification;
    const rec = f.f7.recovery[0];
    return `lost ${v.lost}, not-once ${v.notExactlyOnce}; resume p50/max ${n(rec?.resumeMs.p50, 0)}/${n(rec?.resumeMs.max, 0)} ms (${rec?.affectedJobs ?? 0} jobs hit)`;
  };
  const f5 = (f: SystemFigures | undefined) => {
    if (!f) return 'n/a';
    const p1 = f.f5.one.report.latencyMs.processing.p95;
    const p2 = f.f5.two.report.latencyMs.processing.p95;
    return `${n(f.f5.oneJobsPerS)} → ${n(f.f5.twoJobsPerS)} jobs/s = ${n(f.f5.twoJobsPerS / f.f5.oneJobsPerS, 2)}×; p95 service time ${n(p1, 0)} → ${n(p2, 0)} ms (${n(((p2 - p1) / p1) * 100, 1)}%)`;
  };
  const bareDev = r.bare.dev?.saturationJobsPerS;
  const barePg = r.bare.pg?.saturationJobsPerS;
  const rows = [
    [
      '1',
      'POST→202 p50 / p99 at 50 req/s (ms)',
      safe(() => acc(o, 'at50')),
      safe(() => acc(b, 'at50')),
      `p99 ≤ 10 ms; ratio ≤ 2× (ours/BullMQ p99: ${safe(() => ratio('at50'))}×)`,
    ],
    [
      '1',
      'POST→202 p50 / p99 at 200 req/s (ms)',
      safe(() => acc(o, 'at200')),
      safe(() => acc(b, 'at200')),
      `ratio ≤ 2× (${safe(() => ratio('at200'))}×)`,
    ],
    [
      '2',
      'overhead p50 / p95, fake 0 ms (ms)',
      safe(() => overhead(o, 'fake0', 0)),
      safe(() => overhead(b, 'fake0', 0)),
      'p50 ≤ 30, p95 ≤ 100',
    ],
    [
      '2',
      'overhead p50 / p95, fake 3 s (ms)',
      safe(() => overhead(o, 'fake3s', 3000)),
      safe(() => overhead(b, 'fake3s', 3000)),
      'p50 ≤ 30, p95 ≤ 100',
    ],
    [
      '3',
      'jobs/minute, one worker process, fake 3 s (200 slots)',
      safe(() => n(o?.f3.jobsPerMinute, 0)),
      safe(() => n(b?.f3.jobsPerMinute, 0)),
      '≥ 2,000',
    ],
    [
      '4',
      'saturation (queue-wait p99 < 200 ms), jobs/s: dev server',
      safe(
        () =>
          `${n(o?.f4.saturationJobsPerS, 0)} (bare Temporal ${n(bareDev, 0)}; ratio ${o && bareDev ? n(o.f4.saturationJobsPerS / bareDev, 2) : 'n/a'})`,
      ),
      safe(() => n(b?.f4.saturationJobsPerS, 0)),
      '≥ 50 jobs/s; ratio ≥ 0.8',
    ],
    [
      '4',
      'saturation, jobs/s: Temporal on PostgreSQL',
      r.pg
        ? `${n(r.pg.saturationJobsPerS, 0)} (bare ${n(barePg, 0)}; ratio ${barePg ? n(r.pg.saturationJobsPerS / barePg, 2) : 'n/a'})`
        : 'not measured',
      '—',
      '≥ 50 jobs/s; ratio ≥ 0.8',
    ],
    [
      '5',
      'scaling 1 → 2 workers (fake 3 s, 20 slots each)',
      safe(() => f5(o)),
      safe(() => f5(b)),
      '≥ 1.8×; p95 change ≤ 10%',
    ],
    [
      '6',
      'faults: 10% 429 (retry-after 1 s) + 5% 529',
      safe(() => f6(o)),
      safe(() => f6(b)),
      '100%; ≤ 1 call; penalty ≤ 2 s',
    ],
    [
      '7',
      'crash: SIGKILL a worker mid-job',
      safe(() => f7(o)),
      safe(() => f7(b)),
      '0 lost; resume ≤ heartbeat (5 s) + 1 s',
    ],
    [
      '8',
      'GET /chat/:id p50 / p99 at 100 polls/s (ms)',
      o
        ? `${n(o.f8.all.p50)} / ${n(o.f8.all.p99)} (running jobs p99 ${n(o.f8.running.p99)})`
        : 'n/a',
      b ? `${n(b.f8.all.p50)} / ${n(b.f8.all.p99)}` : 'n/a',
      '≤ 10 ms',
    ],
    [
      '9',
      'worker RSS with 1,000 calls in flight (MB)',
      safe(
        () => `${n(o!.f9.rssMb, 0)} (${o!.f9.inFlight} in flight; idle ${n(o!.f9.idleRssMb, 0)})`,
      ),
      safe(
        () => `${n(b!.f9.rssMb, 0)} (${b!.f9.inFlight} in flight; idle ${n(b!.f9.idleRssMb, 0)})`,
      ),
      '≤ 300 MB',
    ],
  ];
  return [
    '| # | figure | Agent Fleet (Temporal) | BullMQ baseline | target |',
    '| - | ------ | ---------------------- | --------------- | ------ |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function cpuSection(r: BenchResults): string {
  const lines: string[] = ['## CPU per process (100% = one core)', ''];
  const add = (label: string, cpu: Record<string, number> | undefined) =>
    lines.push(`- ${label}: ${cpuLine(cpu)}`);
  add('ours, 200 req/s accept run', r.ours?.f1?.at200.cpu);
  add('BullMQ, 200 req/s accept run', r.bullmq?.f1?.at200.cpu);
  const lastOurs = r.ours?.f4?.steps.at(-1);
  add(`ours, saturation ladder last step (${lastOurs?.rate ?? '?'} jobs/s)`, lastOurs?.cpu);
  const lastBull = r.bullmq?.f4?.steps.at(-1);
  add(`BullMQ, saturation ladder last step (${lastBull?.rate ?? '?'} jobs/s)`, lastBull?.cpu);
  const lastPg = r.pg?.steps.at(-1);
  add(`ours on PostgreSQL, last step (${lastPg?.rate ?? '?'} jobs/s)`, lastPg?.cpu);
  add('ours, one worker at fake 3 s (F3)', r.ours?.f3?.measured.cpu);
  add('ours, GET at 100/s (F8)', r.ours?.f8?.cpu);
  lines.push('');
  const ladder = (
    name: string,
    steps: Array<{ rate: number; queueWaitP99Ms: number; pass: boolean }> | undefined,
  ) =>
    lines.push(
      `- ${name}: ${steps?.map((s) => `${s.rate}/s → p99 ${Math.round(s.queueWaitP99Ms)} ms${s.pass ? '' : ' ✗'}`).join('; ') ?? 'n/a'}`,
    );
  lines.push('### Saturation ladders (queue-wait p99 per offered rate)', '');
  ladder('ours, dev server', r.ours?.f4?.steps);
  ladder('BullMQ', r.bullmq?.f4?.steps);
  ladder('ours, PostgreSQL', r.pg?.steps);
  ladder(
    'bare Temporal, dev server',
    r.bare.dev?.steps.map((s) => ({
      rate: s.rate,
      queueWaitP99Ms: s.queueWaitMs.p99,
      pass: s.queueWaitMs.p99 < 200 && s.completed === s.sent,
    })),
  );
  ladder(
    'bare Temporal, PostgreSQL',
    r.bare.pg?.steps.map((s) => ({
      rate: s.rate,
      queueWaitP99Ms: s.queueWaitMs.p99,
      pass: s.queueWaitMs.p99 < 200 && s.completed === s.sent,
    })),
  );
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
\`bench/results/latest.json\`. Both systems measured in this one run, on this machine, one after
the other.

## Machine and versions

- ${r.machine.cores} cores (${r.machine.cpus}), ${r.machine.memoryGiB} GiB, Linux ${r.machine.kernel}; load average at start ${r.machine.loadAvgAtStart.join(' / ')}.
  The machine is shared: other processes (other engineers' test runs) may have been running, so
  figures are indicative, not lab-grade.
- ${Object.entries(r.versions)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ')}

## Settings

- Our stack: Temporal dev server (SQLite file), API, one workflow worker, two activity workers
  (default \`MAX_CONCURRENT_CLAUDE_CALLS\`=200), fake Claude, each its own process
  (src/stack/local-stack.ts); default retry policy and heartbeat timeout (5 s).
- BullMQ: bench/baselines/bullmq — same REST contract, same fake Claude and SDK call, Redis
  127.0.0.1:6379, two worker processes with concurrency 200 (BullMQ's default is 1; matched to our
  slots), attempts 20, exponential backoff from 1 s, default stalled-job checker (30 s).
- Load: open loop (src/loadtest), arithmetic messages with checkable answers, one fake-model key per
  job; latencies from server timestamps (\`submitted_at\`, \`started_at\`, \`completed_at\`);
  accept latency is the client's POST round trip.
- Overhead (2) = end-to-end − the fake's configured latency. Scaling (5): offered 15 jobs/s to
  20 slots × 3 s per worker (saturated), throughput = completions/s in steady state; "p95" is the
  service time (completed − started). Faults (6): per job, 10% get \`fail=429:1\`, 5% \`fail=529\`
  on the first attempt; penalty = p95 e2e of faulted − clean jobs. Crash (7): 5 jobs/s, fake 3 s, one
  worker SIGKILLed, restarted 2 s later; resume = kill → the retry's call reaching the model.
  Memory (9): one worker with 1,000 slots, 1,000 jobs of 20 s each. Saturation (4): open-loop
  steps of 20 s at 10, 15, 20, 25, 50, 75, 100 jobs/s until one fails (queue-wait p99 ≥ 200 ms,
  or a job lost, refused or unfinished); plain chat jobs, counted in the usage ledger (default).
${r.quick ? '\n**Quick (smoke) run: durations shortened, not a result.**\n' : ''}
## Summary

${summaryTable(r)}

${cpuSection(r)}
${r.errors.length > 0 ? `\n## Errors during the run\n\n${r.errors.map((e) => `- ${e}`).join('\n')}\n` : ''}
## Reproduce

\`\`\`sh
npm ci && npm run build        # Temporal CLI is found or built on first use
redis-server --daemonize yes   # if Redis is not running on 127.0.0.1:6379
npm run bench                  # ~12 minutes; add -- --skip-pg without PostgreSQL
npm run bench -- --quick       # smoke run (bench/results/quick.json only)
\`\`\`

${MARK}${tail}`;
  await fs.writeFile(file, text.endsWith('\n') ? text : `${text}\n`);
}
