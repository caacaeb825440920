import path from 'node:path';
import { loadConfig, type AppConfig } from '../config';
import { envSchema } from '../config/env-schema';
import { startFakeClaude, fakeClaudeOptionsFromEnv, type FakeClaudeServer } from '../fake-claude';
import { envFromSchema, helpOrNoArgs, type CommandUsage } from '../runtime/cli-args';
import { Supervisor, type RunningService } from '../runtime/supervisor';
import { describeExit } from '../stack/managed-process';
import { waitForHttpOk } from '../stack/wait-for-http';
import { withStreamSecret } from '../streaming/stream-auth';
import { startDevServer, type DevServerHandle } from '../temporal/dev-server';
import { readTemporalSettings } from '../temporal/settings';
import { ensureTemporalBinary } from '../temporal/temporal-binary';
import { localUsageDatabaseUrl } from '../usage/local-database';
import { exitOnStartupError } from './startup-error';

const projectRoot = path.resolve(__dirname, '..', '..');
const say = (line: string) => process.stdout.write(`[agent-fleet] ${line}\n`);

/** A dev server as a supervised service. */
function devServerService(server: DevServerHandle): RunningService {
  return { pid: server.pid, exited: server.exited.then(describeExit), stop: () => server.stop() };
}

/** Gap between the metrics ports of successive worker processes on one machine. */
const METRICS_PORT_STRIDE = 10;

/**
 * Metrics, health and stream ports of the `index`-th worker process (0 = the workflow worker):
 * base + 10 × index, so processes on one machine never collide and
 * deploy/prometheus/prometheus.yml can list them. A port of 0 (off) stays off.
 */
function workerMetricsEnv(config: AppConfig, index: number): NodeJS.ProcessEnv {
  const shift = (port: number) => String(port === 0 ? 0 : port + METRICS_PORT_STRIDE * index);
  return {
    METRICS_PORT: shift(config.observability.metricsPort),
    TEMPORAL_SDK_METRICS_PORT: shift(config.observability.sdkMetricsPort),
    WORKER_HEALTH_PORT: shift(config.worker.healthPort),
  };
}

const USAGE: CommandUsage = {
  synopsis: 'npm start   (node dist/bin/start.js, after npm run build)',
  summary:
    'The whole stack on one machine, each part its own process: a Temporal dev server (unless ' +
    'TEMPORAL_ADDRESS is set), a fake Claude (unless ANTHROPIC_API_KEY is set), the API, one ' +
    'workflow worker and ACTIVITY_WORKERS activity workers. Ctrl-C stops everything.',
  env: [
    ...envFromSchema(envSchema, {
      PORT: 'API port',
      ACTIVITY_WORKERS: 'activity worker processes',
      ANTHROPIC_API_KEY: 'the real Claude (unset: the built-in fake)',
      TEMPORAL_DEV_PORT: 'dev server frontend port',
      TEMPORAL_UI_PORT: 'dev server Web UI port',
      TEMPORAL_DB_FILE: 'dev server SQLite file',
      FAKE_CLAUDE_PORT: 'fake Claude port',
    }),
    { name: 'TEMPORAL_ADDRESS', description: 'use this Temporal server instead of a dev server' },
  ],
  example: 'ACTIVITY_WORKERS=4 npm start',
};

/**
 * Entry point of `npm start`: the whole stack on one machine — a Temporal dev server (unless
 * TEMPORAL_ADDRESS names one), the fake Claude (unless ANTHROPIC_API_KEY is set), the API, one
 * workflow worker and ACTIVITY_WORKERS activity workers, each its own OS process.
 */
async function main(): Promise<void> {
  if (helpOrNoArgs(USAGE)) return;
  const config = loadConfig(process.env);
  const temporalSettings = readTemporalSettings(process.env);
  let devServer: DevServerHandle | undefined;
  let fake: FakeClaudeServer | undefined;
  const supervisor = new Supervisor(say);

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    say(`stopping (${reason})…`);
    await supervisor.stopAll();
    await fake?.close();
    say('stopped');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // `on`, not `once`: the listener must stay registered while we stop, so libraries that
    // only act on signals nobody else handles (the dev-server launcher) leave shutdown to us.
    process.on(signal, () => {
      if (stopping) {
        say(`${signal} again: forcing exit`);
        process.exit(1);
      }
      stop(signal).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }

  let temporalAddress = temporalSettings.address;
  let uiUrl: string | undefined;
  if (temporalSettings.external) {
    say(`using the Temporal server at ${temporalAddress} (TEMPORAL_ADDRESS)`);
  } else {
    const binaryPath = await ensureTemporalBinary({ projectRoot, env: process.env, log: say });
    const devServerOptions = {
      binaryPath,
      port: config.stack.temporalDevPort,
      uiPort: config.stack.temporalUiPort,
      dbFilename: path.resolve(projectRoot, config.stack.temporalDbFile),
      log: say,
    };
    devServer = await startDevServer(devServerOptions);
    if (!devServer.reused) {
      // Supervised like every other process: a crashed server comes back on the same SQLite file
      // and port, and the workers' and API's connections reconnect to it on their own.
      supervisor.adopt(
        {
          name: 'temporal',
          infrastructure: true,
          start: async () =>
            devServerService(await startDevServer({ ...devServerOptions, reuseExisting: false })),
        },
        devServerService(devServer),
      );
    }
    temporalAddress = devServer.address;
    uiUrl = devServer.uiUrl;
    say(`Temporal dev server at ${temporalAddress}${devServer.reused ? ' (reused)' : ''}`);
  }

  // The API and workers share a stream secret nobody else has (a fresh one per run).
  const childEnv = withStreamSecret({ ...process.env, TEMPORAL_ADDRESS: temporalAddress });
  if (!config.claude.apiKey && !config.claude.baseURL) {
    fake = await startFakeClaude(fakeClaudeOptionsFromEnv(process.env), {
      port: config.stack.fakeClaudePort,
    });
    childEnv.ANTHROPIC_BASE_URL = fake.url;
    say('*'.repeat(78));
    say(`ANTHROPIC_API_KEY is not set: using the built-in FAKE Claude at ${fake.url}`);
    say('Answers are deterministic stand-ins. Set ANTHROPIC_API_KEY to talk to the real Claude.');
    say('*'.repeat(78));
  }

  // The usage ledger: PostgreSQL when configured or listening locally, else Temporal workflows.
  const usageDb = await localUsageDatabaseUrl(process.env);
  if (usageDb.source === 'local') {
    childEnv.USAGE_DATABASE_URL = usageDb.url;
    say(`usage ledger: PostgreSQL at ${usageDb.url} (found on 127.0.0.1:5432)`);
  } else if (usageDb.source === 'env') {
    say('usage ledger: PostgreSQL (USAGE_DATABASE_URL)');
  } else {
    say('usage ledger: Temporal ledger workflows (no PostgreSQL on 127.0.0.1:5432)');
  }

  // Every process runs on this machine: agent transcripts by reference work with the file store
  // too (docs/transcripts.md), so they are on whether or not a database was found.
  childEnv.TRANSCRIPT_BY_REFERENCE ??= 'true';

  const worker = path.join(__dirname, 'worker.js');
  supervisor.start({
    name: 'api',
    script: path.join(__dirname, 'api.js'),
    args: [],
    env: childEnv,
  });
  supervisor.start({
    name: 'worker-workflows',
    script: worker,
    args: ['--role=workflows'],
    env: { ...childEnv, ...workerMetricsEnv(config, 0) },
  });
  for (let i = 1; i <= config.stack.activityWorkers; i += 1) {
    supervisor.start({
      name: `worker-activities-${i}`,
      script: worker,
      args: ['--role=activities'],
      env: { ...childEnv, ...workerMetricsEnv(config, i) },
    });
  }

  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const apiUrl = `http://${host}:${config.http.port}`;
  await waitForHttpOk(`${apiUrl}/readyz`, 60_000);
  // Ready means the workers poll too: load sent earlier only queues up behind their start.
  if (config.worker.healthPort !== 0) {
    for (let i = 0; i <= config.stack.activityWorkers; i += 1) {
      const port = workerMetricsEnv(config, i).WORKER_HEALTH_PORT!;
      await waitForHttpOk(`http://127.0.0.1:${port}/readyz`, 90_000);
    }
  }
  say('');
  // The console first: it is where a newcomer starts (submit, watch, queues, usage).
  say(`Console:       ${apiUrl}/   (open it in a browser)`);
  say(`API:           ${apiUrl}   (OpenAPI: ${apiUrl}/openapi.json)`);
  if (uiUrl) say(`Temporal UI:   ${uiUrl}`);
  say(`Metrics:       ${apiUrl}/metrics; workers: deploy/prometheus/prometheus.yml lists them`);
  say(`Processes:     ${JSON.stringify(supervisor.pids())}`);
  say('Try it:');
  say(
    `  curl -s -X POST ${apiUrl}/chat -H 'Content-Type: application/json' -d '{"user_id":"alice","message":"What is 25 * 17?","priority":"high"}'`,
  );
  say(`  curl -s ${apiUrl}/chat/<job_id>`);
  say('ready. Ctrl-C stops everything.');
}

main().catch(exitOnStartupError('start'));
