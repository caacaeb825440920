import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ConversationState,
  SubmitMessage,
  SubmitMessageResult,
  UsageCallRecord,
  UsageRecord,
  UserUsageTotals,
} from './agent';

/** Update delivering one message to a conversation (sent with Update-with-Start). */
export const submitMessageUpdate = defineUpdate<SubmitMessageResult, [SubmitMessage]>(
  'submitMessage',
);

/** Query answered by a running conversation with its transcript and per-turn status. */
export const getConversationQuery = defineQuery<ConversationState>('getConversation');

/** Signal adding one finished job's usage to a user's ledger. */
export const recordUsageSignal = defineSignal<[UsageRecord]>('recordUsage');

/**
 * Signal adding a batch of model calls' usage to a user's ledger: the activity workers' usage
 * writer sends one per user per flush (Signal-With-Start) when no database is configured.
 */
export const recordUsageBatchSignal = defineSignal<[UsageCallRecord[]]>('recordUsageBatch');

/** Query answered by a user's ledger with its totals. */
export const getUsageQuery = defineQuery<UserUsageTotals>('getUsage');
