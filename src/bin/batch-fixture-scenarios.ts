import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import pino from 'pino';
import { createToolRegistry } from '../activities/tools/registry';
import { createConversationService } from '../api/conversation-service';
import { createJobSubmitter } from '../api/job-submission';
import { deadlineIn } from '../api/request-deadline';
import type { AppConfig } from '../config';
import { DEFAULT_PRIORITY, batchCollectorWorkflowId } from '../shared';

/**
 * Replay-fixture scenarios of the batch lane (v7): a plain chat job answered by a Message Batch,
 * and its model's collector (signal, create, polls, results delivered, waiting for more).
 */
export const BATCH_SCENARIO_NAMES = ['batch-job-completed', 'batch-collector'] as const;

/** Settings the recorder's config needs so a batch is sent and polled quickly. */
export const BATCH_FIXTURE_ENV = {
  BATCH_MAX_WAIT_MS: '200',
  BATCH_POLL_INITIAL_MS: '100',
  BATCH_POLL_MAX_MS: '200',
};

/** Runs the batch scenarios on `client` (workers already polling) and saves each history. */
export async function recordBatchScenarios(
  client: Client,
  config: AppConfig,
  save: (name: (typeof BATCH_SCENARIO_NAMES)[number], history: History) => Promise<void>,
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
      lane: 'batch',
      userId: 'fixture-user',
      message: 'What is 25 * 17? [[fake batch_ms=300]]',
      priority: DEFAULT_PRIORITY,
      model: config.claude.model,
    },
    deadlineIn(config.http.temporalRpcTimeoutMs),
  );
  const job = client.workflow.getHandle(jobId);
  await job.result();
  await save('batch-job-completed', await job.fetchHistory());
  // The collector keeps running (it waits for more requests): its history so far replays.
  const collector = client.workflow.getHandle(batchCollectorWorkflowId(config.claude.model.model));
  await save('batch-collector', await collector.fetchHistory());
  await collector.terminate('fixture recorded');
}
