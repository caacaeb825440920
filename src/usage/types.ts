import type { TokenCounts } from '../observability/price-table';
import type { UsageCallRecord, UserUsageTotals } from '../shared';

export type { UsageCallRecord } from '../shared';

/**
 * Where a model-call activity records its usage. `record` resolves once the record is durably
 * committed: the activity awaits it before completing, so a record is never lost to a crash
 * between the call and its accounting (see docs/usage-ledger.md).
 */
export interface UsageSink {
  record(record: UsageCallRecord): Promise<void>;
}

/**
 * A store of call records, counting each (jobId, call) key once however often it is written.
 * `write` commits a whole batch or throws (then the batch is written again: duplicates are
 * ignored by key).
 */
export interface UsageStore {
  /** `postgres` or `temporal` (the ledger workflows), for logs. */
  readonly kind: 'postgres' | 'temporal';
  write(records: UsageCallRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** What the API reads from the ledger. */
export interface UsageReader {
  /** A user's totals (with its recent days), or undefined when nothing was counted. */
  totals(userId: string): Promise<UserUsageTotals | undefined>;
  /** Tokens counted against the daily budget on one UTC day (`YYYY-MM-DD`). */
  tokensOn(userId: string, day: string): Promise<number>;
  /**
   * A user's tokens per model on one UTC day, for the daily dollar budget. Absent on stores that
   * keep no per-day model split (the ledger workflows): the budget then estimates (cost-budget.ts).
   */
  modelUsageOn?(userId: string, day: string): Promise<Record<string, TokenCounts>>;
}
