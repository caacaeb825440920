import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import pino from 'pino';
import { createToolRegistry } from '../activities/tools/registry';
import { createConversationService } from '../api/conversation-service';
import { createJobSubmitter, type Submission } from '../api/job-submission';
import { deadlineIn } from '../api/request-deadline';
import type { AppConfig } from '../config';
import {
  DEFAULT_PRIORITY,
  RATE_GOVERNOR_WORKFLOW_TYPE,
  claudeRateLimitedSignal,
  conversationWorkflowId,
  rateGovernorWorkflowId,
  usageWorkflowId,
} from '../shared';
import type { claudeRateGovernorWorkflow } from '../workflows';

/**
 * Replay-fixture scenarios of the agent workflows (recorded by record-replay-fixtures.ts next to
 * the chat scenarios): the tool loop, an unknown tool, a cancelled agent job, a conversation run
 * that continued-as-new, the run that closed after idling, and a usage ledger.
 */
export const AGENT_SCENARIO_NAMES = [
  'agent-tool-calculator',
  'agent-unknown-tool',
  'agent-cancelled',
  'conversation-continued-as-new',
  'conversation-idle-closed',
  'usage-ledger',
] as const;

/**
 * Scenarios recorded since v6: an agent job that fails on a non-retryable model error, and the
 * fleet-wide rate governor through two throttle windows and a continue-as-new.
 */
export const V6_SCENARIO_NAMES = ['agent-failed', 'rate-governor-continued-as-new'] as const;

/** Settings the recorder's config needs so a conversation continues-as-new and idles out fast. */
export const AGENT_FIXTURE_ENV = {
  CONVERSATION_MAX_TURNS_PER_RUN: '2',
  CONVERSATION_IDLE_TIMEOUT_MS: '1500',
};

type Save = (
  name: (typeof AGENT_SCENARIO_NAMES)[number] | (typeof V6_SCENARIO_NAMES)[number],
  history: History,
) => Promise<void>;

async function settle(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
  }
}

/** Runs every agent scenario on `client` (workers already polling) and saves each history. */
export async function recordAgentScenarios(
  client: Client,
  config: AppConfig,
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
  const userId = 'fixture-user';
  const submit = (submission: Omit<Submission, 'userId' | 'priority' | 'model'>) =>
    submitter.submit(
      { ...submission, userId, priority: DEFAULT_PRIORITY, model: config.claude.model },
      deadlineIn(config.http.temporalRpcTimeoutMs),
    );
  const job = async (message: string) => submit({ kind: 'agent', message });

  const calculator = await job('What is 25 * 17?');
  const calculatorHandle = client.workflow.getHandle(calculator.jobId);
  await settle(calculatorHandle.result());
  await save('agent-tool-calculator', await calculatorHandle.fetchHistory());

  const unknown = await job('Beam me up [[fake tool=teleport]]');
  const unknownHandle = client.workflow.getHandle(unknown.jobId);
  await settle(unknownHandle.result());
  await save('agent-unknown-tool', await unknownHandle.fetchHistory());

  const failed = await job('Hello [[fake fail=400]]');
  const failedHandle = client.workflow.getHandle(failed.jobId);
  await settle(failedHandle.result());
  await save('agent-failed', await failedHandle.fetchHistory());

  await recordRateGovernor(client, config, save);

  const hanging = await job('Hang forever [[fake fail=hang]]');
  const hangingHandle = client.workflow.getHandle(hanging.jobId);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await hangingHandle.cancel();
  await settle(hangingHandle.result());
  await save('agent-cancelled', await hangingHandle.fetchHistory());

  const conversationId = 'fixture-conversation';
  for (const message of ['Hello', 'What is 2 + 3?', 'And again']) {
    await submit({ kind: 'turn', message, conversation: { id: conversationId, tools: true } });
  }
  const workflowId = conversationWorkflowId(userId, conversationId);
  const latest = client.workflow.getHandle(workflowId);
  // The run that continued-as-new ends in a ContinuedAsNew event; the last one completes on idle.
  const description = await latest.describe();
  const firstRunId = description.raw.workflowExecutionInfo?.firstRunId ?? undefined;
  await settle(latest.result());
  if (firstRunId) {
    await save(
      'conversation-continued-as-new',
      await client.workflow.getHandle(workflowId, firstRunId).fetchHistory(),
    );
  }
  await save(
    'conversation-idle-closed',
    await client.workflow.getHandle(workflowId).fetchHistory(),
  );
  // The ledger never closes: its history so far is what a deploy must replay.
  await save(
    'usage-ledger',
    await client.workflow.getHandle(usageWorkflowId(userId)).fetchHistory(),
  );
}

/**
 * The rate governor of a throwaway queue through two short throttle windows (as two 429s would
 * signal them) and the continue-as-new that follows; saves the first run, which ends in it.
 */
async function recordRateGovernor(client: Client, config: AppConfig, save: Save): Promise<void> {
  const activityTaskQueue = `${config.taskQueues.activities}-fixture`;
  const workflowId = rateGovernorWorkflowId(activityTaskQueue);
  const input = { activityTaskQueue, cooldownRps: 1, windowsPerRun: 2 };
  const handle = await client.workflow.signalWithStart<
    typeof claudeRateGovernorWorkflow,
    [{ retryAfterMs: number }]
  >(RATE_GOVERNOR_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: config.taskQueues.workflows,
    args: [input],
    signal: claudeRateLimitedSignal,
    signalArgs: [{ retryAfterMs: 200 }],
  });
  const firstRunId = handle.signaledRunId;
  const first = client.workflow.getHandle(workflowId, firstRunId);
  // The second window starts once the first has restored the queue's rate.
  for (;;) {
    const history = await first.fetchHistory();
    const restores = (history.events ?? []).filter(
      (event) => event.activityTaskCompletedEventAttributes != null,
    ).length;
    if (restores >= 2) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await handle.signal(claudeRateLimitedSignal, { retryAfterMs: 200 });
  for (;;) {
    const description = await first.describe();
    if (description.status.name === 'CONTINUED_AS_NEW') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await save('rate-governor-continued-as-new', await first.fetchHistory());
  await client.workflow.getHandle(workflowId).terminate('fixture recorded');
}
