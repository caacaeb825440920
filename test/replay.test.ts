/**
 * Determinism guard: every workflow history committed under test/fixtures/histories replays
 * against the current workflow code. A change that would break running workflows fails here.
 * Record new fixtures with `npm run fixtures:record` after changing workflow code (keep old ones).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { AGENT_SCENARIO_NAMES, V6_SCENARIO_NAMES } from '../src/bin/agent-fixture-scenarios';
import { TRANSCRIPT_SCENARIO_NAMES } from '../src/bin/transcript-fixture-scenarios';
import { APPROVAL_SCENARIO_NAMES } from '../src/bin/approval-fixture-scenarios';
import { COST_CAP_SCENARIO_NAMES } from '../src/bin/cost-cap-fixture-scenarios';
import { WEBHOOK_SCENARIO_NAMES } from '../src/bin/webhook-fixture-scenarios';
import { WORKFLOW_BUNDLE_PATH } from './helpers/stack';

const fixturesDir = path.join(__dirname, 'fixtures', 'histories');
const fixtureFiles = readdirSync(fixturesDir).filter((file) => file.endsWith('.json'));

/** Every ending of a plain chat job (recorded by src/bin/record-replay-fixtures.ts). */
const CHAT_SCENARIOS = [
  'chat-completed',
  'chat-retried-then-completed',
  'chat-failed-non-retryable',
  'chat-cancelled',
];

/** Fixture file names of `scenarios` recorded under `tag`. */
const fixturesOf = (scenarios: readonly string[], tag: string) =>
  scenarios.map((name) => `${name}.${tag}.json`);

it('has recorded fixtures for every ending of a chat job, from every workflow version', () => {
  // v1: before the wait-for-cancellation patch; v2: after it.
  for (const tag of ['v1', 'v2']) {
    expect(fixtureFiles).toEqual(expect.arrayContaining(fixturesOf(CHAT_SCENARIOS, tag)));
  }
});

it('has recorded fixtures of the agent workflows (tool loop, conversation, usage ledger)', () => {
  // v3: the first version with agentWorkflow, conversationWorkflow and usageWorkflow.
  expect(fixtureFiles).toEqual(
    expect.arrayContaining(fixturesOf(['chat-completed', ...AGENT_SCENARIO_NAMES], 'v3')),
  );
});

it('has recorded fixtures of chat jobs counted in the ledger and tools on their own queue', () => {
  // v4: plain chat jobs report usage from a local activity (input flag `reportUsage`); agent
  // jobs schedule tool calls on the tool task queue (`tools.taskQueue`).
  expect(fixtureFiles).toEqual(
    expect.arrayContaining(fixturesOf([...CHAT_SCENARIOS, ...AGENT_SCENARIO_NAMES], 'v4')),
  );
});

it('has recorded fixtures of jobs whose model calls record their own usage', () => {
  // v5: inputs carry `usageByActivity` (no accounting events in job histories), chat jobs carry
  // `waitForCancellation`, and the ledger is fed `recordUsageBatch` signals by the usage writer.
  expect(fixtureFiles).toEqual(
    expect.arrayContaining(fixturesOf([...CHAT_SCENARIOS, ...AGENT_SCENARIO_NAMES], 'v5')),
  );
});

it('has recorded fixtures of the final v6 code, a failed agent job and the rate governor', () => {
  // v6: one submission path (turns keep their request hash), and two more scenarios: an agent
  // job failing on a non-retryable error, and the rate governor through a continue-as-new.
  expect(fixtureFiles).toEqual(
    expect.arrayContaining(
      fixturesOf([...CHAT_SCENARIOS, ...AGENT_SCENARIO_NAMES, ...V6_SCENARIO_NAMES], 'v6'),
    ),
  );
});

it('has recorded fixtures of an agent job keeping its transcript by reference', () => {
  expect(fixtureFiles).toEqual(expect.arrayContaining(fixturesOf(TRANSCRIPT_SCENARIO_NAMES, 'v7')));
});

it('has recorded fixtures of agent jobs whose tool call waited for approval (v7)', () => {
  expect(fixtureFiles).toEqual(expect.arrayContaining(fixturesOf(APPROVAL_SCENARIO_NAMES, 'v7')));
});

it('has recorded fixtures of an agent job stopped by its cost cap (v7)', () => {
  expect(fixtureFiles).toEqual(expect.arrayContaining(fixturesOf(COST_CAP_SCENARIO_NAMES, 'v7')));
});

it('has recorded fixtures of completion webhooks and double-texting (v7)', () => {
  // v7: a chat job with a `webhook` input starting its abandoned delivery child, that child
  // retried once, and (double-texting) a conversation turn interrupted by a newer message.
  expect(fixtureFiles).toEqual(expect.arrayContaining(fixturesOf(WEBHOOK_SCENARIO_NAMES, 'v7')));
});

it('replays every recorded history against the current workflow code without error', async () => {
  const histories = fixtureFiles.map((file) => ({
    workflowId: file,
    history: historyFromJSON(JSON.parse(readFileSync(path.join(fixturesDir, file), 'utf8'))),
  }));
  const results: { workflowId: string; error?: unknown }[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } },
    histories,
  )) {
    results.push(result);
  }
  expect(results.map((result) => result.workflowId).sort()).toEqual([...fixtureFiles].sort());
  for (const result of results) {
    expect({
      fixture: result.workflowId,
      error: result.error instanceof Error ? result.error.message : result.error,
    }).toEqual({
      fixture: result.workflowId,
      error: undefined,
    });
  }
});
