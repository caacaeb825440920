/**
 * `npm run stack:postgres`: the production profile on one machine — the full Temporal server
 * (go.temporal.io/server v1.29.1) on the local PostgreSQL instead of the dev server's SQLite, with
 * the API and workers as separate processes pointed at it through TEMPORAL_ADDRESS.
 *
 * Steps: build the server + SQL tool once (cached in .temporal/bin), create/upgrade the schema,
 * start the server, register the namespace and search attributes, start the fake Claude (unless
 * ANTHROPIC_API_KEY is set), the API, one workflow worker and ACTIVITY_WORKERS activity workers.
 * Ctrl-C / SIGTERM stops the processes, then the server.
 */
import path from 'node:path';
import { loadConfig } from '../config';
import { envSchema } from '../config/env-schema';
import { fakeClaudeOptionsFromEnv, startFakeClaude, type FakeClaudeServer } from '../fake-claude';
import { envFromSchema, helpOrNoArgs, type CommandUsage } from '../runtime/cli-args';
import { Supervisor, type RunningService } from '../runtime/supervisor';
import { describeExit } from '../stack/managed-process';
import { waitForHttpOk } from '../stack/wait-for-http';
import { withStreamSecret } from '../streaming/stream-auth';
import { SEARCH_ATTRIBUTES } from '../shared';
import {
  postgresProfileEnvSchema,
  readPostgresProfileSettings,
} from '../temporal/postgres-profile-settings';
import { setupTemporalSchema } from '../temporal/postgres-schema';
import {
  startPostgresTemporalServer,
  type PostgresServerHandle,
} from '../temporal/postgres-server';
import { readTemporalSettings } from '../temporal/settings';
import { ensureTemporalServerBinaries } from '../temporal/temporal-server-binary';
import { exitOnStartupError } from './startup-error';

const projectRoot = path.resolve(__dirname, '..', '..');
const say = (line: string) => process.stdout.write(`[agent-fleet:postgres] ${line}\n`);

const USAGE: CommandUsage = {
  synopsis: 'npm run stack:postgres   (node dist/bin/stack-postgres.js, after npm run build)',
  summary:
    'The production profile on one machine: the full Temporal server on the local PostgreSQL ' +
    '(built into .temporal/bin on first use, schema created or upgraded), then a fake Claude ' +
    '(unless ANTHROPIC_API_KEY is set), the API and the workers. Ctrl-C stops everything.',
  env: [
    ...envFromSchema(postgresProfileEnvSchema, {
      TEMPORAL_PG_HOST: 'PostgreSQL host',
      TEMPORAL_PG_PORT: 'PostgreSQL port',
      TEMPORAL_PG_USER: 'PostgreSQL user',
      TEMPORAL_PG_PASSWORD: 'PostgreSQL password (empty with trust auth)',
      TEMPORAL_PG_DATABASE: 'Temporal database',
      TEMPORAL_PG_VISIBILITY_DATABASE: 'visibility database',
      TEMPORAL_PG_FRONTEND_PORT: 'Temporal frontend port (the others derive from it)',
    }),
    ...envFromSchema(envSchema, {
      PORT: 'API port',
      ACTIVITY_WORKERS: 'activity worker processes',
      ANTHROPIC_API_KEY: 'the real Claude (unset: the built-in fake)',
    }),
  ],
  example: 'TEMPORAL_PG_HOST=db.internal npm run stack:postgres',
};

/** The PostgreSQL-backed server as a supervised service. */
function serverService(server: PostgresServerHandle): RunningService {
  return { pid: server.pid, exited: server.exited.then(describeExit), stop: () => server.stop() };
}

async function main(): Promise<void> {
  if (helpOrNoArgs(USAGE)) return;
  const config = loadConfig(process.env);
  const settings = readPostgresProfileSettings(process.env);
  if (readTemporalSettings(process.env).external) {
    throw new Error(
      'TEMPORAL_ADDRESS is set, but stack:postgres runs its own Temporal server; unset it ' +
        '(or use `npm start` to run against that server).',
    );
  }
  let fake: FakeClaudeServer | undefined;
  const supervisor = new Supervisor(say);
  let stopping = false;
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`stopping (${reason})…`);
    // Workers first (they drain in-flight calls against a live server), then the server.
    await supervisor.stopAll();
    await fake?.close();
    say('stopped');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
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

  const binaries = await ensureTemporalServerBinaries({ projectRoot, env: process.env, log: say });
  say(
    `PostgreSQL ${settings.pgHost}:${settings.pgPort}, databases ${settings.database} and ` +
      `${settings.visibilityDatabase}`,
  );
  await setupTemporalSchema({ sqlToolPath: binaries.sqlToolPath, settings, log: say });
  const serverOptions = {
    serverPath: binaries.serverPath,
    projectRoot,
    settings,
    searchAttributes: Object.values(SEARCH_ATTRIBUTES),
    log: say,
  };
  const server = await startPostgresTemporalServer(serverOptions);
  // Supervised like the other processes: a crashed server comes back on the same databases.
  supervisor.adopt(
    {
      name: 'temporal',
      infrastructure: true,
      start: async () => serverService(await startPostgresTemporalServer(serverOptions)),
    },
    serverService(server),
  );
  say(`Temporal server (PostgreSQL) ready at ${server.address}, namespace ${server.namespace}`);

  // The API and workers share a stream secret nobody else has (a fresh one per run).
  const childEnv = withStreamSecret({
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
  });
  if (!config.claude.apiKey && !config.claude.baseURL) {
    fake = await startFakeClaude(fakeClaudeOptionsFromEnv(process.env), {
      port: config.stack.fakeClaudePort,
    });
    childEnv.ANTHROPIC_BASE_URL = fake.url;
    say(`ANTHROPIC_API_KEY is not set: using the built-in FAKE Claude at ${fake.url}`);
  }

  // Each worker process on this machine gets its own probe port (in a pod each has its own):
  // WORKER_HEALTH_PORT + 10 × n, the same stride as the metrics ports (deploy/prometheus).
  const healthBase = config.worker.healthPort;
  const healthPort = (n: number): string => (healthBase === 0 ? '0' : String(healthBase + 10 * n));
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
    env: { ...childEnv, WORKER_HEALTH_PORT: healthPort(0) },
  });
  for (let i = 1; i <= config.stack.activityWorkers; i += 1) {
    supervisor.start({
      name: `worker-activities-${i}`,
      script: worker,
      args: ['--role=activities'],
      env: { ...childEnv, WORKER_HEALTH_PORT: healthPort(i) },
    });
  }

  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const apiUrl = `http://${host}:${config.http.port}`;
  await waitForHttpOk(`${apiUrl}/readyz`, 60_000);
  say(`API:        ${apiUrl}`);
  say(`Temporal:   ${server.address} (no Web UI in this profile; use \`temporal --address\`)`);
  say(`Processes:  ${JSON.stringify(supervisor.pids())}`);
  say('ready. Ctrl-C stops everything.');
}

main().catch(exitOnStartupError('stack:postgres'));
