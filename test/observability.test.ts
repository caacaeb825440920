/**
 * Observability end to end, on real processes: the built API and worker entry points (workflow
 * worker and activity worker as separate processes) and the fake Claude, against the shared
 * Temporal test server; a real Prometheus (Debian's package) scraping them with our
 * deploy/prometheus/prometheus.yml; promtool on our alert rules; the Grafana dashboard's PromQL
 * checked against what the processes really export; and every log line of the run searched for
 * the API keys placed in their environment.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getFreePort } from '../src/temporal/free-port';
import { isFinished, pollUntil, postJson, type JobBody } from './helpers/http';
import { metricNames, scrape, sumOf, type PromSample } from './helpers/prom-text';
import { killAllSpawned, spawnEntryPoint, type SpawnedProcess } from './helpers/processes';
import { testTemporal, uniqueTaskQueue } from './helpers/temporal';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const PROMETHEUS_YML = path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml');
const ALERTS_YML = path.join(ROOT, 'deploy', 'prometheus', 'alerts.yml');
const DASHBOARD_JSON = path.join(ROOT, 'deploy', 'grafana', 'agent-fleet-dashboard.json');

/** Unique per run, so finding one in the output can only mean it was logged. */
const ANTHROPIC_SECRET = `sk-ant-secret-${randomBytes(16).toString('hex')}`;
const TEMPORAL_SECRET = `tmprl-secret-${randomBytes(16).toString('hex')}`;
const MAX_CLAUDE_CALLS = 7;

interface Ports {
  api: number;
  wfMetrics: number;
  wfSdk: number;
  actMetrics: number;
  actSdk: number;
  fake: number;
  prometheus: number;
}

let ports: Ports;
let fake: SpawnedProcess;
let api: SpawnedProcess;
let workflowWorker: SpawnedProcess;
let activityWorker: SpawnedProcess;
let prometheus: ChildProcess | undefined;
let prometheusOutput = '';
let tmpDir: string;
let apiUrl: string;
const jobs: Record<'ok' | 'retried' | 'failed', JobBody | undefined> = {
  ok: undefined,
  retried: undefined,
  failed: undefined,
};

const metricsUrl = (port: number) => `http://127.0.0.1:${port}/metrics`;

async function allFreePorts(): Promise<Ports> {
  const list: number[] = [];
  while (list.length < 7) {
    const port = await getFreePort();
    if (!list.includes(port)) list.push(port);
  }
  const [apiPort, wfMetrics, wfSdk, actMetrics, actSdk, fakePort, prom] = list as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    api: apiPort,
    wfMetrics,
    wfSdk,
    actMetrics,
    actSdk,
    fake: fakePort,
    prometheus: prom,
  };
}

async function submit(message: string, priority: string): Promise<string> {
  const res = await postJson<{ job_id: string }>(`${apiUrl}/chat`, {
    user_id: 'observability-user',
    message,
    priority,
  });
  expect(res.status).toBe(202);
  return res.body.job_id;
}

/** Retries `read` until `check` accepts its result (the API samples queues in the background). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (check(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`condition not met; last value: ${JSON.stringify(last)}`.slice(0, 3000));
}

const queues = {
  workflows: uniqueTaskQueue('obs-wf'),
  activities: uniqueTaskQueue('obs-claude'),
  tools: uniqueTaskQueue('obs-tools'),
};

beforeAll(async () => {
  ports = await allFreePorts();
  tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-fleet-observability-'));
  const temporal = testTemporal();
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    // A key the dev server ignores, sent as a bearer token: it must reach no log line either.
    TEMPORAL_API_KEY: TEMPORAL_SECRET,
    TEMPORAL_TLS: 'false',
    ANTHROPIC_API_KEY: ANTHROPIC_SECRET,
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${ports.fake}`,
    LOG_LEVEL: 'trace',
    LOG_PRETTY: 'false',
    HOST: '127.0.0.1',
    PORT: String(ports.api),
    METRICS_HOST: '127.0.0.1',
    WORKFLOW_TASK_QUEUE: queues.workflows,
    ACTIVITY_TASK_QUEUE: queues.activities,
    TOOL_TASK_QUEUE: queues.tools,
    QUEUE_METRICS_INTERVAL_MS: '500',
    MAX_CONCURRENT_CLAUDE_CALLS: String(MAX_CLAUDE_CALLS),
    CLAUDE_INITIAL_RETRY_MS: '100',
    CLAUDE_MAX_RETRY_MS: '2000',
    WORKER_SHUTDOWN_GRACE_MS: '2000',
    WORKER_HEALTH_PORT: '0',
  };
  fake = spawnEntryPoint('fake-claude', [], {
    ...base,
    FAKE_CLAUDE_PORT: String(ports.fake),
  });
  await fake.waitForOutput(/fake-claude listening/);
  workflowWorker = spawnEntryPoint('worker', ['--role=workflows'], {
    ...base,
    METRICS_PORT: String(ports.wfMetrics),
    TEMPORAL_SDK_METRICS_PORT: String(ports.wfSdk),
  });
  activityWorker = spawnEntryPoint('worker', ['--role=activities'], {
    ...base,
    METRICS_PORT: String(ports.actMetrics),
    TEMPORAL_SDK_METRICS_PORT: String(ports.actSdk),
  });
  api = spawnEntryPoint('api', [], base);
  await Promise.all([
    api.waitForOutput(/API listening/),
    workflowWorker.waitForOutput(/worker polling/),
    activityWorker.waitForOutput(/worker polling/),
  ]);
  apiUrl = `http://127.0.0.1:${ports.api}`;

  const ids = {
    ok: await submit('What is 25 * 17?', 'high'),
    retried: await submit(
      `What is 6 * 7? [[fake fail=429:1 key=obs-${randomBytes(4).toString('hex')}]]`,
      'normal',
    ),
    failed: await submit('Refuse this [[fake fail=400]]', 'normal'),
  };
  for (const key of ['ok', 'retried', 'failed'] as const) {
    jobs[key] = await pollUntil<JobBody>(`${apiUrl}/chat/${ids[key]}`, isFinished);
  }
});

afterAll(async () => {
  prometheus?.kill('SIGKILL');
  killAllSpawned();
  if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
});

describe('the jobs this suite observes', () => {
  it('finished as scripted: one completed, one completed after a 429, one failed', () => {
    expect(jobs.ok?.status).toBe('completed');
    expect(jobs.retried).toMatchObject({ status: 'completed', attempts: 2 });
    expect(jobs.failed?.error?.type).toBe('ClaudeInvalidRequest');
  });
});

describe('/metrics', () => {
  it('the API counts requests, submissions by priority and job outcomes', async () => {
    const { samples } = await scrape(`${apiUrl}/metrics`);
    expect(sumOf(samples, 'agent_fleet_jobs_submitted_total', { priority: '1' })).toBe(1);
    expect(sumOf(samples, 'agent_fleet_jobs_submitted_total', { priority: '3' })).toBe(2);
    expect(
      sumOf(samples, 'agent_fleet_http_requests_total', {
        method: 'POST',
        route: '/chat',
        status_code: '202',
      }),
    ).toBe(3);
    expect(
      sumOf(samples, 'agent_fleet_jobs_finished_total', {
        status: 'completed',
        failure_type: 'none',
      }),
    ).toBe(2);
    expect(
      sumOf(samples, 'agent_fleet_jobs_finished_total', {
        status: 'failed',
        failure_type: 'ClaudeInvalidRequest',
      }),
    ).toBe(1);
    expect(sumOf(samples, 'agent_fleet_job_duration_seconds_count')).toBe(3);
    // Polling a finished job again is served from the cache and must not count it twice.
    await pollUntil<JobBody>(`${apiUrl}/chat/${jobs.ok!.job_id}`, isFinished);
    const again = await scrape(`${apiUrl}/metrics`);
    expect(sumOf(again.samples, 'agent_fleet_jobs_finished_total')).toBe(3);
  });

  it('the API samples task-queue backlog and pollers from DescribeTaskQueue', async () => {
    const samples = await eventually<PromSample[]>(
      async () => (await scrape(`${apiUrl}/metrics`)).samples,
      (s) =>
        sumOf(s, 'agent_fleet_task_queue_pollers', { task_queue_type: 'activity' }) >= 1 &&
        sumOf(s, 'agent_fleet_task_queue_pollers', { task_queue_type: 'workflow' }) >= 1,
    );
    const backlog = samples.filter(
      (s) => s.name === 'agent_fleet_task_queue_backlog_tasks' && s.labels.priority === 'all',
    );
    // Workflow tasks, model calls and tool calls: one sampled queue each.
    expect(backlog.map((s) => `${s.labels.task_queue_type}:${s.labels.task_queue}`).sort()).toEqual(
      [
        `activity:${queues.activities}`,
        `activity:${queues.tools}`,
        `workflow:${queues.workflows}`,
      ].sort(),
    );
    expect(sumOf(samples, 'agent_fleet_task_queue_sample_errors_total')).toBe(0);
  });

  it('the activity worker records Claude calls, retries, 429s, tokens, cost and slots', async () => {
    const { samples } = await scrape(metricsUrl(ports.actMetrics));
    expect(sumOf(samples, 'agent_fleet_claude_calls_total', { outcome: 'success' })).toBe(2);
    expect(sumOf(samples, 'agent_fleet_claude_calls_total', { outcome: 'error' })).toBe(2);
    expect(
      sumOf(samples, 'agent_fleet_claude_call_errors_total', {
        failure_type: 'ClaudeRateLimited',
        retryable: 'true',
      }),
    ).toBe(1);
    expect(
      sumOf(samples, 'agent_fleet_claude_call_errors_total', {
        failure_type: 'ClaudeInvalidRequest',
        retryable: 'false',
      }),
    ).toBe(1);
    expect(sumOf(samples, 'agent_fleet_claude_rate_limited_total')).toBe(1);
    expect(sumOf(samples, 'agent_fleet_claude_call_retries_total')).toBe(1);
    expect(sumOf(samples, 'agent_fleet_claude_tokens_total', { type: 'input' })).toBeGreaterThan(0);
    expect(sumOf(samples, 'agent_fleet_claude_tokens_total', { type: 'output' })).toBeGreaterThan(
      0,
    );
    expect(sumOf(samples, 'agent_fleet_claude_cost_dollars_total')).toBeGreaterThan(0);
    expect(sumOf(samples, 'agent_fleet_claude_time_to_first_token_seconds_count')).toBe(2);
    expect(sumOf(samples, 'agent_fleet_claude_schedule_to_start_seconds_count')).toBe(4);
    expect(sumOf(samples, 'agent_fleet_claude_calls_in_flight')).toBe(0);
    // Each successful call committed its usage once (the refused call has none to record).
    expect(sumOf(samples, 'agent_fleet_usage_flush_records_sum', { outcome: 'committed' })).toBe(2);
    expect(sumOf(samples, 'agent_fleet_usage_flush_records_count', { outcome: 'failed' })).toBe(0);
    // Model-call slots and, beside them, the tool worker's own (default 100).
    expect(
      sumOf(samples, 'agent_fleet_worker_slots_max', {
        slot_type: 'activity',
        task_queue: queues.activities,
      }),
    ).toBe(MAX_CLAUDE_CALLS);
    expect(
      sumOf(samples, 'agent_fleet_worker_slots_max', {
        slot_type: 'activity',
        task_queue: queues.tools,
      }),
    ).toBe(100);
  });

  it('the workflow worker reports its slots and the Temporal SDK exports its own metrics', async () => {
    const wf = await scrape(metricsUrl(ports.wfMetrics));
    expect(sumOf(wf.samples, 'agent_fleet_worker_slots_max', { slot_type: 'workflow' })).toBe(20);
    const sdk = await scrape(metricsUrl(ports.actSdk));
    expect(sumOf(sdk.samples, 'temporal_activity_execution_latency_seconds_count')).toBe(4);
    const wfSdk = await scrape(metricsUrl(ports.wfSdk));
    expect(sumOf(wfSdk.samples, 'temporal_workflow_completed_total')).toBe(2);
  });
});

describe('real Prometheus with deploy/prometheus', () => {
  it('promtool accepts alerts.yml', async () => {
    const { stdout } = await execFileAsync('promtool', ['check', 'rules', ALERTS_YML]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('scrapes the API, a worker and the Temporal SDK with our prometheus.yml', async () => {
    // Our file, with the test's ports in place of `npm start`'s and a 1 s scrape interval.
    const portMap: Record<string, number> = {
      '127.0.0.1:8000': ports.api,
      '127.0.0.1:9464': ports.wfMetrics,
      '127.0.0.1:9474': ports.actMetrics,
      '127.0.0.1:9466': ports.wfSdk,
      '127.0.0.1:9476': ports.actSdk,
    };
    const source = await fs.readFile(PROMETHEUS_YML, 'utf8');
    const config = source
      .split('\n')
      .flatMap((line) => {
        const target = /^\s*- (127\.0\.0\.1:\d+)\s*$/.exec(line)?.[1];
        if (target === undefined) return [line];
        const port = portMap[target];
        // Targets of `npm start` processes this test does not run (a second activity worker).
        return port === undefined ? [] : [line.replace(target, `127.0.0.1:${port}`)];
      })
      .join('\n')
      .replace(/scrape_interval: \S+/, 'scrape_interval: 1s')
      .replace(/evaluation_interval: \S+/, 'evaluation_interval: 1s')
      .replace(/- alerts\.yml/, `- ${ALERTS_YML}`);
    expect(config).toContain(`127.0.0.1:${ports.api}`);
    const configFile = path.join(tmpDir, 'prometheus.yml');
    await fs.writeFile(configFile, config);
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(tmpDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${ports.prometheus}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (c: Buffer) => (prometheusOutput += c.toString()));
    prometheus.stderr?.on('data', (c: Buffer) => (prometheusOutput += c.toString()));

    const query = async (promql: string) => {
      try {
        const res = await fetch(
          `http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`,
        );
        const body = (await res.json()) as {
          data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
        };
        return body.data?.result ?? [];
      } catch {
        return []; // Not listening yet.
      }
    };
    const series = async (promql: string) =>
      eventually(
        () => query(promql),
        (result) => result.length > 0,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nprometheus output:\n${prometheusOutput.slice(-2000)}`);
      });

    const fromApi = await series('agent_fleet_jobs_submitted_total{job="agent-fleet-api"}');
    expect(fromApi.reduce((n, r) => n + Number(r.value[1]), 0)).toBe(3);
    const fromWorker = await series(
      'agent_fleet_claude_calls_total{job="agent-fleet-workers",outcome="success"}',
    );
    expect(Number(fromWorker[0]!.value[1])).toBe(2);
    const fromSdk = await series('temporal_worker_task_slots_available{job="temporal-sdk"}');
    expect(fromSdk.length).toBeGreaterThan(0);
    // Every target of the file is up (each is scraped on its own schedule: wait for all five).
    const expectedUp = [
      'agent-fleet-api=1',
      'agent-fleet-workers=1',
      'agent-fleet-workers=1',
      'temporal-sdk=1',
      'temporal-sdk=1',
    ];
    const upSummary = (result: { metric: Record<string, string>; value: [number, string] }[]) =>
      result.map((r) => `${r.metric.job}=${r.value[1]}`).sort();
    const up = await eventually(
      () => query('up'),
      (result) => JSON.stringify(upSummary(result)) === JSON.stringify(expectedUp),
    );
    expect(upSummary(up)).toEqual(expectedUp);
  });

  it('every metric in the Grafana dashboard exists in what the processes export', async () => {
    const dashboard = JSON.parse(await fs.readFile(DASHBOARD_JSON, 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const used = new Set(exprs.flatMap((e) => e.match(/\b(?:agent_fleet|temporal)_\w+/g) ?? []));
    const exported = new Set<string>();
    const urls = [
      `${apiUrl}/metrics`,
      metricsUrl(ports.wfMetrics),
      metricsUrl(ports.actMetrics),
      metricsUrl(ports.wfSdk),
      metricsUrl(ports.actSdk),
    ];
    for (const url of urls)
      for (const name of metricNames((await scrape(url)).text)) exported.add(name);
    const missing = [...used].filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });
});

describe('logs of the whole run', () => {
  it('carry job ids and durations, and never an API key from the environment', async () => {
    // Stop gracefully first so every buffered line is written.
    for (const p of [api, workflowWorker, activityWorker, fake]) p.child.kill('SIGTERM');
    await Promise.all([api, workflowWorker, activityWorker, fake].map((p) => p.exited()));
    const outputs = {
      api: api.output(),
      workflowWorker: workflowWorker.output(),
      activityWorker: activityWorker.output(),
      fake: fake.output(),
    };
    const all = Object.values(outputs).join('\n');
    // Trace level really was on (debug lines present), so nothing was filtered out by level.
    expect(outputs.activityWorker).toContain('"msg":"model call started"');
    expect(outputs.api).toContain('"msg":"job message"');
    expect(all.split('\n').length).toBeGreaterThan(20);
    expect(all).not.toContain(ANTHROPIC_SECRET);
    expect(all).not.toContain(TEMPORAL_SECRET);
    // Distinctive halves too, in case a logger truncated or split the value.
    expect(all).not.toContain(ANTHROPIC_SECRET.slice(-16));
    expect(all).not.toContain(TEMPORAL_SECRET.slice(-16));

    const lines = all
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const completed = lines.find(
      (l) => l.msg === 'model call completed' && l.job_id === jobs.ok!.job_id,
    );
    expect(completed).toMatchObject({
      job_id: jobs.ok!.job_id,
      workflow_id: jobs.ok!.job_id,
      user_id: 'observability-user',
      attempt: 1,
    });
    expect(typeof completed?.duration_ms).toBe('number');
    const finished = lines.find(
      (l) => l.msg === 'job finished' && l.job_id === jobs.failed!.job_id,
    );
    expect(finished).toMatchObject({
      workflow_id: jobs.failed!.job_id,
      user_id: 'observability-user',
      status: 'failed',
      failure_type: 'ClaudeInvalidRequest',
    });
    expect(typeof finished?.duration_ms).toBe('number');
    // The user's message text appears only on debug-level (20) lines.
    const withMessage = lines.filter((l) => JSON.stringify(l).includes('What is 25 * 17?'));
    expect(withMessage.length).toBeGreaterThan(0);
    expect(withMessage.every((l) => Number(l.level) <= 20)).toBe(true);
  });
});
