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

/** A load run's report plus CPU% per process over it. */
export interface Measured {
  report: LoadtestReport;
  cpu: Record<string, number>;
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
  const cpu = startCpuWindow({ ...pids, 'load generator': process.pid });
  const run = await runLoadtest(options);
  const cpuUse = cpu.stop();
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
    cpu: cpu.stop(),
  };
}

/**
 * Submits `count` long jobs, waits until the fake sees them all in flight, and samples the
 * worker's RSS (peak over a few seconds).
 */
export async function measureMemory(
  url: string,
  fakeUrl: string,
  workerPid: () => number | undefined,
  count: number,
): Promise<{ inFlight: number; rssMb: number | undefined; idleRssMb: number | undefined }> {
  const idle = rssMb(workerPid());
  const client = createJsonClient(url, 64);
  const tag = `mem${Date.now().toString(36)}`;
  for (let i = 0; i < count; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, k) =>
        client.request('POST', '/chat', {
          user_id: 'bench-mem',
          message: `What is ${i + k} * 7? [[fake latency_ms=20000 key=${tag}-${i + k}]]`,
        }),
      ),
    );
  client.close();
  let inFlight = 0;
  let peak: number | undefined;
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline) {
    const calls = await fetchFakeCalls(fakeUrl, `${tag}-`);
    inFlight = calls.filter((c) => !c.completed && !c.aborted).length;
    const rss = rssMb(workerPid());
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
    if (inFlight >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  for (let i = 0; i < 6; i += 1) {
    const rss = rssMb(workerPid());
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // Let the calls finish so the next scenario starts on an idle system.
  const drainUntil = Date.now() + 60_000;
  while (Date.now() < drainUntil) {
    const calls = await fetchFakeCalls(fakeUrl, `${tag}-`);
    if (calls.filter((c) => c.completed).length >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return { inFlight, rssMb: peak, idleRssMb: idle };
}
