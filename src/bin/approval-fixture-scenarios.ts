import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import pino from 'pino';
import { createToolRegistry } from '../activities/tools/registry';
import { createApprovalService } from '../api/approval-service';
import { createConversationService } from '../api/conversation-service';
import { createJobSubmitter } from '../api/job-submission';
import { deadlineIn } from '../api/request-deadline';
import type { AppConfig } from '../config';
import { DEFAULT_PRIORITY, getJobStatusQuery, type AgentJobState } from '../shared';

/**
 * Replay-fixture scenarios of human approval (since v7): an agent job whose calculator call
 * waited and was approved, and one whose call was denied with a reason.
 */
export const APPROVAL_SCENARIO_NAMES = [
  'agent-approval-approved',
  'agent-approval-denied',
] as const;

type Save = (name: (typeof APPROVAL_SCENARIO_NAMES)[number], history: History) => Promise<void>;

/** Runs the approval scenarios on `client` (workers already polling) and saves each history. */
export async function recordApprovalScenarios(
  client: Client,
  config: AppConfig,
  save: Save,
): Promise<void> {
  const logger = pino({ level: 'silent' });
  const registry = createToolRegistry();
  const submitter = createJobSubmitter({
    client,
    config,
    logger,
    registry,
    conversations: createConversationService({ client, config, registry }),
  });
  const approvals = createApprovalService({ client, config, logger });
  const decisions = [
    ['agent-approval-approved', 'approve'],
    ['agent-approval-denied', 'deny'],
  ] as const;
  for (const [name, decision] of decisions) {
    const { jobId } = await submitter.submit(
      {
        kind: 'agent',
        userId: 'fixture-user',
        message: 'What is 25 * 17?',
        priority: DEFAULT_PRIORITY,
        model: config.claude.model,
        requireApproval: ['calculator'],
      },
      deadlineIn(config.http.temporalRpcTimeoutMs),
    );
    const handle = client.workflow.getHandle(jobId);
    let state: AgentJobState;
    for (;;) {
      state = (await handle.query(getJobStatusQuery)) as AgentJobState;
      if (state.pendingApprovals?.length) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await approvals.decide(
      jobId,
      {
        toolUseId: state.pendingApprovals[0]!.toolUseId,
        decision,
        ...(decision === 'deny' ? { reason: 'not in this fixture' } : {}),
        decidedBy: 'fixture-admin',
      },
      deadlineIn(config.http.temporalRpcTimeoutMs),
    );
    await handle.result();
    await save(name, await handle.fetchHistory());
  }
}
