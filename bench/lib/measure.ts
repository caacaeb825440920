/** Scenario helpers shared by both systems: a load run with CPU sampling, GET latency, memory. */
import {
  buildReport,
  loadtestOptions,
  runLoadtest,
  type LoadtestOptions,
  type LoadtestReport,
} from '../../src/loadtest';
import { fetchFakeCalls } from '../../src/chaos/fake-calls';
import { createJsonClient } from '../../src/loadtest/http-json';
import { summarize, type Summary } from '../../src/loadtest/stats';
import { rssMb, startCpuWindow } from './cpu-sampler';
import { submitJob } from './submit';

/** A load run's report plus CPU per process over it (offered load and drain). */
export interface Measured {
  report: LoadtestReport;
  /** CPU% (100 = one core) per process over the whole run, drain included. */
  cpu: Record<string, number>;
  /** CPU-milliseconds per process over the same window. */
  cpuMs: Record<string, number>;
  /** Seconds of that window: from the first request to the last job's end (or drain timeout). */
  windowS: number;
  /** Model calls that completed per accepted job (max and mean). */
  successfulModelCalls: { max: number; mean: number };
  /** p95 end-to-end of jobs that got an injected fault vs. those that did not. */
  faultP95Ms?: { faulted: number; clean: number };
}

/** Runs one load test against `url`, sampling CPU of `pids`. */
export async function measureLoad(
  url: string,
  fakeUrl: string,
  pids: Record<string, number | undefined>,
  overrides: Partial<LoadtestOptions>,
  log: (line: string) => void,
): Promise<Measured> {
  const options = loadtestOptions({
    url,
    pollIntervalMs: 500,
    pollConcurrency: 16,
    drainTimeoutS: 120,
    ...overrides,
  });
  // The window covers the drain: per-job CPU divides by the jobs of the whole window.
  const cpu = startCpuWindow({ ...pids, 'load generator': process.pid });
  const run = await runLoadtest(options);
  const cpuWindow = cpu.stop();
  const cpuUse = cpuWindow.percent;
  const report = buildReport(run);
  const calls = await fetchFakeCalls(fakeUrl, `${run.runId}-`);
  const perKey = new Map<string, number>();
  for (const call of calls)
    if (call.completed) perKey.set(call.key, (perKey.get(call.key) ?? 0) + 1);
  const accepted = run.records.filter((r) => r.jobId);
  const counts = accepted.map((r) => perKey.get(r.key) ?? 0);
  const e2e = (faulted: boolean) =>
    summarize(
      accepted
        .filter((r) => (r.fault !== undefined) === faulted && r.completedAt && r.submittedAt)
        .map((r) => Date.parse(r.completedAt!) - Date.parse(r.submittedAt!)),
    ).p95;
  const c = report.counts;
  log(
    `  ${options.rate}/s × ${options.durationS}s: sent ${c.sent} accepted ${c.accepted} completed ${c.completed} lost ${c.lost} refused ${c.refused}; ` +
      `accept p50/p99 ${report.latencyMs.accept.p50}/${report.latencyMs.accept.p99} ms; e2e p50/p95 ${report.latencyMs.endToEnd.p50}/${report.latencyMs.endToEnd.p95} ms; ` +
      `queue wait p99 ${report.latencyMs.queueWait.p99} ms; cpu ${JSON.stringify(cpuUse)}`,
  );
  return {
    report,
    cpu: cpuUse,
    cpuMs: cpuWindow.ms,
    windowS: Math.round(cpuWindow.seconds * 10) / 10,
    successfulModelCalls: {
      max: Math.max(0, ...counts),
      mean:
        counts.length === 0
          ? 0
          : Math.round((counts.reduce((a, b) => a + b, 0) / counts.length) * 100) / 100,
    },
    ...(options.failMix ? { faultP95Ms: { faulted: e2e(true), clean: e2e(false) } } : {}),
  };
}

/** GET /chat/:id latency at a fixed open-loop rate over finished and running jobs. */
export async function measureGets(
  url: string,
  rate: number,
  durationS: number,
  pids: Record<string, number | undefined>,
): Promise<{
  all: Summary;
  finished: Summary;
  running: Summary;
  non200: number;
  cpu: Record<string, number>;
}> {
  const client = createJsonClient(url, 128);
  const submit = async (message: string) => {
    const answer = await client.request('POST', '/chat', { user_id: 'bench-get', message });
    return String((answer.body as { job_id: string }).job_id);
  };
  const finished = await Promise.all(
    Array.from({ length: 20 }, (_, i) => submit(`What is ${i} * 2?`)),
  );
  const running = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      submit(`What is ${i} * 3? [[fake latency_ms=${(durationS + 30) * 1000}]]`),
    ),
  );
  // Let the first group finish (and the second start) before measuring.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const ids = [
    ...finished.map((id) => ({ id, finished: true })),
    ...running.map((id) => ({ id, finished: false })),
  ];
  const lat = { finished: [] as number[], running: [] as number[] };
  let non200 = 0;
  const cpu = startCpuWindow(pids);
  const t0 = performance.now();
  const total = Math.round(rate * durationS);
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < total; i += 1) {
    const wait = (i * 1_000) / rate - (performance.now() - t0);
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const target = ids[i % ids.length]!;
    pending.push(
      client.request('GET', `/chat/${target.id}`).then(
        (answer) => {
          if (answer.status !== 200) non200 += 1;
          (target.finished ? lat.finished : lat.running).push(answer.ms);
        },
        () => {
          non200 += 1;
        },
      ),
    );
  }
  await Promise.all(pending);
  client.close();
  return {
    all: summarize([...lat.finished, ...lat.running]),
    finished: summarize(lat.finished),
    running: summarize(lat.running),
    non200,
    cpu: cpu.stop().percent,
  };
}

/** What the memory figure saw. */
export interface MemoryFigure {
  /** Calls the fake model held open at the peak (the target is all `count`). */
  inFlight: number;
  count: number;
  /** Peak RSS of the worker process while they were in flight. */
  rssMb: number | undefined;
  idleRssMb: number | undefined;
  /** Seconds from the first POST until every call was in flight (or the wait gave up). */
  fillS: number;
}

/**
 * Submits `count` jobs whose model call lasts `holdS`, waits until the fake model holds every
 * call open at once (the worker then holds them all), and samples the worker's RSS there. The
 * wait ends early only when the in-flight count stops growing for `stallS`. The calls are not
 * drained: this is the last figure of a stack, which is closed afterwards.
 */
export async function measureMemory(
  url: string,
  fakeUrl: string,
  workerPid: () => number | undefined,
  count: number,
  log: (line: string) => void,
  { holdS = 240, stallS = 30 } = {},
): Promise<MemoryFigure> {
  const idle = rssMb(workerPid());
  const client = createJsonClient(url, 64);
  const tag = `mem${Date.now().toString(36)}`;
  const t0 = Date.now();
  for (let i = 0; i < count; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, k) =>
        submitJob(client, {
          user_id: 'bench-mem',
          message: `What is ${i + k} * 7? [[fake latency_ms=${holdS * 1000} key=${tag}-${i + k}]]`,
        }),
      ),
    );
  client.close();
  let inFlight = 0;
  let best = 0;
  let bestAt = Date.now();
  let peak: number | undefined;
  const sample = () => {
    const rss = rssMb(workerPid());
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
  };
  // Bounded by the hold: past it the first calls end and the count can only fall.
  while (Date.now() - t0 < (holdS - 10) * 1000) {
    const calls = await fetchFakeCalls(fakeUrl, `${tag}-`);
    inFlight = calls.filter((c) => !c.completed && !c.aborted).length;
    sample();
    if (inFlight >= count) break;
    if (inFlight > best) {
      best = inFlight;
      bestAt = Date.now();
    } else if (Date.now() - bestAt > stallS * 1000) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const fillS = Math.round((Date.now() - t0) / 100) / 10;
  log(`  ${inFlight}/${count} calls in flight after ${fillS} s`);
  for (let i = 0; i < 6; i += 1) {
    sample();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { inFlight, count, rssMb: peak, idleRssMb: idle, fillS };
}
