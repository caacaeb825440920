import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import pino from 'pino';
import { createToolRegistry } from '../activities/tools/registry';
import { createConversationService } from '../api/conversation-service';
import { createJobSubmitter } from '../api/job-submission';
import { deadlineIn } from '../api/request-deadline';
import type { AppConfig } from '../config';
import { DEFAULT_PRIORITY, conversationWorkflowId, webhookWorkflowId } from '../shared';

/**
 * Replay-fixture scenarios of completion webhooks and double-texting (recorded since v7 by
 * record-replay-fixtures.ts): a chat job whose webhook was delivered after one 500 (the job's
 * history, and its delivery workflow's).
 */
export const WEBHOOK_SCENARIO_NAMES = [
  'chat-webhook-delivered',
  'webhook-delivery-retried',
  'conversation-turn-interrupted',
] as const;

type Save = (name: (typeof WEBHOOK_SCENARIO_NAMES)[number], history: History) => Promise<void>;

/** A local webhook receiver for the recorder: answers 500 to the first request, then 204. */
export interface FixtureReceiver {
  /** Settings for the recorder's loadConfig: the receiver's prefix and a fresh secret. */
  env: Record<string, string>;
  url: string;
  close(): Promise<void>;
}

/** Starts the receiver the webhook scenarios deliver to. */
export async function startFixtureReceiver(): Promise<FixtureReceiver> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      res.statusCode = requests === 1 ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/`;
  return {
    url,
    env: {
      WEBHOOK_ALLOWED_URL_PREFIXES: url,
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Runs the webhook scenarios on `client` (workers already polling) and saves each history. */
export async function recordWebhookScenarios(
  client: Client,
  config: AppConfig,
  receiver: FixtureReceiver,
  save: Save,
): Promise<void> {
  const registry = createToolRegistry();
  const submitter = createJobSubmitter({
    client,
    config,
    logger: pino({ level: 'silent' }),
    registry,
    conversations: createConversationService({ client, config, registry }),
  });
  const { jobId } = await submitter.submit(
    {
      kind: 'chat',
      userId: 'fixture-user',
      message: 'What is 25 * 17?',
      priority: DEFAULT_PRIORITY,
      model: config.claude.model,
      callbackUrl: `${receiver.url}fixture`,
    },
    deadlineIn(config.http.temporalRpcTimeoutMs),
  );
  const job = client.workflow.getHandle(jobId);
  await job.result();
  await save('chat-webhook-delivered', await job.fetchHistory());
  const delivery = client.workflow.getHandle(webhookWorkflowId(jobId));
  try {
    await delivery.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
  }
  await save('webhook-delivery-retried', await delivery.fetchHistory());

  const conversation = { id: 'fixture-double-texting', tools: true };
  const turn = (message: string, onBusy?: 'interrupt') =>
    submitter.submit(
      {
        kind: 'turn',
        userId: 'fixture-user',
        message,
        priority: DEFAULT_PRIORITY,
        model: config.claude.model,
        conversation: { ...conversation, ...(onBusy ? { onBusy } : {}) },
      },
      deadlineIn(config.http.temporalRpcTimeoutMs),
    );
  await turn('Hang forever [[fake fail=hang]]');
  // Let the hanging model call start, as the other cancelled scenarios do.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await turn('Never mind, hello', 'interrupt');
  const handle = client.workflow.getHandle(conversationWorkflowId('fixture-user', conversation.id));
  // Two turns end the first run (continue-as-new, AGENT_FIXTURE_ENV): that run holds the
  // interruption; it is recorded once the conversation has idled out.
  const firstRunId = (await handle.describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined;
  await handle.result();
  await save(
    'conversation-turn-interrupted',
    await client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory(),
  );
}
