import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import pino from 'pino';
import { createToolRegistry } from '../activities/tools/registry';
import { createConversationService } from '../api/conversation-service';
import { createJobSubmitter } from '../api/job-submission';
import { deadlineIn } from '../api/request-deadline';
import type { AppConfig } from '../config';
import { DEFAULT_PRIORITY } from '../shared';

/**
 * Replay-fixture scenarios of the per-job cost cap (v7): an agent job whose second model call
 * the activity refused for `max_cost_usd`, so it ends `stop_reason: "cost_cap"`.
 */
export const COST_CAP_SCENARIO_NAMES = ['agent-cost-cap'] as const;

/** Records {@link COST_CAP_SCENARIO_NAMES} on `client` (workers already polling). */
export async function recordCostCapScenarios(
  client: Client,
  config: AppConfig,
  save: (name: (typeof COST_CAP_SCENARIO_NAMES)[number], history: History) => Promise<void>,
): Promise<void> {
  const registry = createToolRegistry();
  const submitter = createJobSubmitter({
    client,
    config,
    logger: pino({ level: 'silent' }),
    registry,
    conversations: createConversationService({ client, config, registry }),
  });
  // As in test/cost-caps.test.ts: the first call (~$0.06 worst case) runs, the second cannot.
  const capped = await submitter.submit(
    {
      kind: 'agent',
      userId: 'fixture-user',
      priority: DEFAULT_PRIORITY,
      message: `What is 25 * 17?${' word'.repeat(15_000)}`,
      model: { ...config.claude.model, model: 'claude-sonnet-4-6', maxTokens: 100 },
      maxCostUsd: 0.08,
    },
    deadlineIn(config.http.temporalRpcTimeoutMs),
  );
  const handle = client.workflow.getHandle(capped.jobId);
  try {
    await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
  }
  await save('agent-cost-cap', await handle.fetchHistory());
}
