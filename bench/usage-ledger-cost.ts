/**
 * What counting plain chat jobs in the per-user usage ledger costs. Two stacks that differ only
 * in `USAGE_LEDGER_CHAT_JOBS` get the same open-loop load, alternated (off, on, off, on, …) in one
 * run on this machine; the report gives CPU per job of the Temporal server and the workflow
 * worker, latency percentiles, and the on/off ratios.
 *
 *   npm run bench:ledger [-- --rate=20 --duration=30 --rounds=2 --users=50]
 *
 * Results go to stdout as JSON (and a summary on stderr).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startLocalStack } from '../src/stack/local-stack';
import { measureLoad, type Measured } from './lib/measure';
import { median } from './lib/stats';

const argsSchema = z.object({
  rate: z.coerce.number().int().min(1).max(500).default(20),
  duration: z.coerce.number().int().min(5).max(600).default(30),
  rounds: z.coerce.number().int().min(1).max(10).default(2),
  users: z.coerce.number().int().min(1).max(100_000).default(50),
});

const log = (line: string) => process.stderr.write(`[ledger-bench] ${line}\n`);

/** One measured run of one mode. */
interface Run {
  ledger: boolean;
  completed: number;
  lost: number;
  queueWaitP99Ms: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  acceptP99Ms: number;
  /** CPU-milliseconds per completed job, by process. */
  cpuMsPerJob: { temporal: number; workflowWorker: number };
}

function toRun(ledger: boolean, m: Measured): Run {
  const completed = m.report.counts.completed;
  // CPU-ms over the same window as the sample (offered load and drain), over the jobs finished in it.
  const perJob = (ms: number | undefined) =>
    completed === 0 || ms === undefined ? NaN : Math.round((ms * 100) / completed) / 100;
  return {
    ledger,
    completed,
    lost: m.report.counts.lost,
    queueWaitP99Ms: m.report.latencyMs.queueWait.p99,
    e2eP50Ms: m.report.latencyMs.endToEnd.p50,
    e2eP99Ms: m.report.latencyMs.endToEnd.p99,
    acceptP99Ms: m.report.latencyMs.accept.p99,
    cpuMsPerJob: {
      temporal: perJob(m.cpuMs.temporal),
      workflowWorker: perJob(m.cpuMs['worker-workflows']),
    },
  };
}

async function measureMode(ledger: boolean, o: z.infer<typeof argsSchema>): Promise<Run> {
  const stack = await startLocalStack({
    temporal: { kind: 'dev' },
    activityWorkers: 1,
    env: { USAGE_LEDGER_CHAT_JOBS: String(ledger) },
    log: () => {},
  });
  try {
    // Warm-up: JIT, sticky caches and the first ledger starts are not what is measured.
    await measureLoad(
      stack.apiUrl,
      stack.fakeUrl,
      {},
      { rate: o.rate, durationS: 5, latencyMs: 0, users: o.users },
      () => {},
    );
    const m = await measureLoad(
      stack.apiUrl,
      stack.fakeUrl,
      stack.pids(),
      { rate: o.rate, durationS: o.duration, latencyMs: 0, users: o.users },
      log,
    );
    return toRun(ledger, m);
  } finally {
    await stack.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      users: { type: 'string' },
    },
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`--${String(issue.path[0])}: ${issue.message}`);
  }
  const o = parsed.data;
  const runs: Run[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const ledger of [false, true]) {
      log(`round ${round}: ledger ${ledger ? 'on' : 'off'}, ${o.rate}/s × ${o.duration}s`);
      runs.push(await measureMode(ledger, o));
    }
  }
  const pick = (ledger: boolean, f: (r: Run) => number) =>
    median(runs.filter((r) => r.ledger === ledger).map(f));
  const ratio = (f: (r: Run) => number) => Math.round((pick(true, f) / pick(false, f)) * 100) / 100;
  const summary = {
    settings: o,
    runs,
    medianOff: {
      temporalCpuMsPerJob: pick(false, (r) => r.cpuMsPerJob.temporal),
      workflowWorkerCpuMsPerJob: pick(false, (r) => r.cpuMsPerJob.workflowWorker),
      e2eP50Ms: pick(false, (r) => r.e2eP50Ms),
      queueWaitP99Ms: pick(false, (r) => r.queueWaitP99Ms),
    },
    medianOn: {
      temporalCpuMsPerJob: pick(true, (r) => r.cpuMsPerJob.temporal),
      workflowWorkerCpuMsPerJob: pick(true, (r) => r.cpuMsPerJob.workflowWorker),
      e2eP50Ms: pick(true, (r) => r.e2eP50Ms),
      queueWaitP99Ms: pick(true, (r) => r.queueWaitP99Ms),
    },
    ratioOnOff: {
      temporalCpuPerJob: ratio((r) => r.cpuMsPerJob.temporal),
      workflowWorkerCpuPerJob: ratio((r) => r.cpuMsPerJob.workflowWorker),
      e2eP50: ratio((r) => r.e2eP50Ms),
    },
  };
  log(`median off: ${JSON.stringify(summary.medianOff)}`);
  log(`median on:  ${JSON.stringify(summary.medianOn)}`);
  log(`ratio on/off: ${JSON.stringify(summary.ratioOnOff)}`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
