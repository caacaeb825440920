import { randomUUID } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { z } from 'zod';
import { createAnthropicClient } from '../activities/anthropic-client';
import { loadConfig } from '../config';
import { startFakeClaude } from '../fake-claude';
import { flagsFromSchema, helpRequested, parseFlags, type CommandUsage } from '../runtime/cli-args';
import { CHAT_WORKFLOW_TYPE, DEFAULT_PRIORITY, type ChatJobInput } from '../shared';
import { startDevServer } from '../temporal/dev-server';
import { getFreePort } from '../temporal/free-port';
import { ensureTemporalBinary } from '../temporal/temporal-binary';
import { createFileTranscriptStore } from '../transcripts';
import { openUsageWriter } from '../usage';
import { createActivityWorkers, createWorkflowWorker } from '../worker/create-workers';
import {
  AGENT_FIXTURE_ENV,
  AGENT_SCENARIO_NAMES,
  V6_SCENARIO_NAMES,
  recordAgentScenarios,
} from './agent-fixture-scenarios';
import { APPROVAL_SCENARIO_NAMES, recordApprovalScenarios } from './approval-fixture-scenarios';
import { COST_CAP_SCENARIO_NAMES, recordCostCapScenarios } from './cost-cap-fixture-scenarios';
import { exitOnStartupError } from './startup-error';
import {
  TRANSCRIPT_SCENARIO_NAMES,
  recordTranscriptScenarios,
} from './transcript-fixture-scenarios';
import {
  WEBHOOK_SCENARIO_NAMES,
  recordWebhookScenarios,
  startFixtureReceiver,
} from './webhook-fixture-scenarios';

const projectRoot = path.resolve(__dirname, '..', '..');
const fixturesDir = path.join(projectRoot, 'test', 'fixtures', 'histories');

/** One recorded scenario: a message (with fake-Claude directives) and how the job ends. */
interface Scenario {
  name: string;
  message: string;
  cancelAfterMs?: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'chat-completed', message: 'What is 25 * 17?' },
  { name: 'chat-retried-then-completed', message: 'What is 6 * 7? [[fake fail=429:1,500]]' },
  { name: 'chat-failed-non-retryable', message: 'Hello [[fake fail=400]]' },
  { name: 'chat-cancelled', message: 'Hang forever [[fake fail=hang]]', cancelAfterMs: 1_500 },
];

const argsSchema = z.object({
  tag: z
    .string({
      error: 'is required, e.g. --tag=v2 (fixtures are named <scenario>.<tag>.json)',
    })
    .regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes only'),
  force: z.boolean().default(false),
});

const USAGE: CommandUsage = {
  synopsis: 'npm run fixtures:record -- --tag <tag> [--force]',
  summary:
    'Runs each replay scenario on a throwaway Temporal dev server with the current workflow code ' +
    'and saves its history as test/fixtures/histories/<scenario>.<tag>.json for the replay test.',
  flags: flagsFromSchema(
    argsSchema,
    {
      tag: 'fixture name suffix (required; a new one per workflow change)',
      force: 'overwrite fixtures that already have this tag',
    },
    { booleans: ['force'] },
  ),
  example: 'npm run fixtures:record -- --tag=v3',
};

/** True if the file exists. */
async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Developer tool (`npm run fixtures:record -- --tag=v2`): runs each scenario on a throwaway dev server with
 * the current workflow code and saves its history under test/fixtures/histories. The replay test
 * replays every saved history against the current code, so a change that breaks determinism
 * fails CI. Record new fixtures whenever workflow code changes; keep the old ones.
 */
async function main(): Promise<void> {
  if (helpRequested(USAGE)) return;
  const { tag, force } = parseFlags(argsSchema, process.argv.slice(2), ['force']);
  const names = [
    ...SCENARIOS.map((s) => s.name),
    ...AGENT_SCENARIO_NAMES,
    ...V6_SCENARIO_NAMES,
    ...TRANSCRIPT_SCENARIO_NAMES,
    ...APPROVAL_SCENARIO_NAMES,
    ...COST_CAP_SCENARIO_NAMES,
    ...WEBHOOK_SCENARIO_NAMES,
  ];
  for (const name of names) {
    const file = path.join(fixturesDir, `${name}.${tag}.json`);
    if (!force && (await exists(file))) {
      throw new Error(
        `${path.relative(projectRoot, file)} exists: choose a new --tag (or --force)`,
      );
    }
  }
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const binaryPath = await ensureTemporalBinary({
    projectRoot,
    env: process.env,
    log: console.log,
  });
  const server = await startDevServer({
    binaryPath,
    port: await getFreePort(),
    uiPort: false,
    reuseExisting: false,
  });
  const fake = await startFakeClaude();
  const receiver = await startFixtureReceiver();
  const config = loadConfig({
    ANTHROPIC_BASE_URL: fake.url,
    CLAUDE_INITIAL_RETRY_MS: '100',
    ...AGENT_FIXTURE_ENV,
    ...receiver.env,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const base = { connection: nativeConnection, namespace: 'default', shutdownGraceMs: 1_000 };
  // No usage database here: calls record into the ledger workflows (their fixtures show it).
  const usage = await openUsageWriter({
    config,
    client,
    logger: pino({ level: 'silent' }),
  });
  // Agent jobs keep their transcript by reference: a throwaway file store.
  const transcriptDir = await mkdtemp(path.join(tmpdir(), 'af-transcripts-'));
  const transcripts = createFileTranscriptStore(transcriptDir);
  const workers = [
    await createWorkflowWorker({
      ...base,
      taskQueue: config.taskQueues.workflows,
      maxConcurrentWorkflowTasks: 10,
      webhooks: { webhooks: config.webhooks },
    }),
    ...(await createActivityWorkers({
      ...base,
      taskQueue: config.taskQueues.activities,
      toolTaskQueue: config.taskQueues.tools,
      anthropic: createAnthropicClient({ baseURL: fake.url, timeoutMs: 30_000 }),
      logger: pino({ level: 'silent' }),
      maxConcurrentClaudeCalls: 10,
      maxResponseChars: config.claude.maxResponseChars,
      usage,
      transcripts,
    })),
  ];
  const running = Promise.all(workers.map((worker) => worker.run()));
  await mkdir(fixturesDir, { recursive: true });
  try {
    for (const scenario of SCENARIOS) {
      const jobId = randomUUID();
      const input: ChatJobInput = {
        jobId,
        userId: 'fixture-user',
        message: scenario.message,
        priority: DEFAULT_PRIORITY,
        submittedAt: new Date().toISOString(),
        model: config.claude.model,
        policy: config.claude.policy,
        activityTaskQueue: config.taskQueues.activities,
        waitForCancellation: true,
        ...(config.observability.usageLedgerChatJobs ? { usageByActivity: true } : {}),
      };
      const handle = await client.workflow.start(CHAT_WORKFLOW_TYPE, {
        taskQueue: config.taskQueues.workflows,
        workflowId: jobId,
        args: [input],
      });
      if (scenario.cancelAfterMs !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, scenario.cancelAfterMs));
        await handle.cancel();
      }
      try {
        await handle.result();
      } catch (err) {
        if (!(err instanceof WorkflowFailedError)) throw err;
      }
      const history = await handle.fetchHistory();
      const file = path.join(fixturesDir, `${scenario.name}.${tag}.json`);
      await writeFile(file, historyToJSON(history));
      console.log(
        `recorded ${path.relative(projectRoot, file)} (${history.events?.length ?? 0} events)`,
      );
    }
    const save = async (name: string, history: History) => {
      const file = path.join(fixturesDir, `${name}.${tag}.json`);
      await writeFile(file, historyToJSON(history));
      console.log(
        `recorded ${path.relative(projectRoot, file)} (${history.events?.length ?? 0} events)`,
      );
    };
    await recordAgentScenarios(client, config, save);
    await recordTranscriptScenarios(client, config, save);
    await recordApprovalScenarios(client, config, save);
    await recordCostCapScenarios(client, config, save);
    await recordWebhookScenarios(client, config, receiver, save);
  } finally {
    for (const worker of workers) worker.shutdown();
    await running;
    await usage.close();
    await nativeConnection.close();
    await connection.close();
    await fake.close();
    await receiver.close();
    await server.stop();
    await rm(transcriptDir, { recursive: true, force: true });
  }
}

main().catch(exitOnStartupError('record-replay-fixtures'));
