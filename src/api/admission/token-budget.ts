import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Logger } from 'pino';
import { usageWorkflowId } from '../../shared';
import { HttpError } from '../http-error';
import { ledgerTotals, usageOnDay } from '../usage-ledger-memo';

/** Dependencies of {@link createTokenBudget}. */
export interface TokenBudgetDeps {
  client: Client;
  logger: Logger;
  /** Tokens per user per UTC day (> 0). */
  dailyTokens: number;
  /** How long a user's reading is reused (concurrent requests share one reading too). */
  cacheMs: number;
  /** Bound on the describe call. */
  rpcTimeoutMs: number;
}

/** The per-user daily token budget, as admission enforces it. */
export interface TokenBudget {
  /** Throws 429 `daily_token_budget_exceeded` (Retry-After: next UTC midnight) when spent. */
  check(userId: string): Promise<void>;
}

/** `YYYY-MM-DD` of `at` in UTC: the ledger's day key. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Whole seconds from `at` to the next UTC midnight (at least 1). */
export function secondsToUtcMidnight(at: Date): number {
  const next = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - at.getTime()) / 1000));
}

/**
 * Refuses new jobs of a user whose tokens today (UTC) have reached the budget. Today's tokens
 * come from the user's usage ledger memo with one `describe` (no worker, nothing replayed),
 * cached per user for `cacheMs`. The budget is checked when a job is submitted: jobs already
 * admitted run to completion, so a user can overshoot by what their in-flight jobs use. If the
 * ledger cannot be read the request is admitted (fail open, like the backlog check) and logged.
 */
export function createTokenBudget(deps: TokenBudgetDeps): TokenBudget {
  const readings = new Map<string, { at: number; tokens: Promise<number | undefined> }>();

  async function readTokensToday(userId: string): Promise<number | undefined> {
    try {
      const description = await deps.client.withDeadline(Date.now() + deps.rpcTimeoutMs, () =>
        deps.client.workflow.getHandle(usageWorkflowId(userId)).describe(),
      );
      return usageOnDay(ledgerTotals(description.memo), utcDay(new Date())).tokens;
    } catch (err) {
      // No ledger yet: the user has used nothing.
      if (err instanceof WorkflowNotFoundError) return 0;
      deps.logger.warn(
        { err: (err as Error).message, user_id: userId },
        'token budget: could not read the usage ledger; admitting',
      );
      return undefined;
    }
  }

  function tokensToday(userId: string): Promise<number | undefined> {
    const cached = readings.get(userId);
    if (cached && Date.now() - cached.at < deps.cacheMs) return cached.tokens;
    const tokens = readTokensToday(userId);
    readings.set(userId, { at: Date.now(), tokens });
    // Bounded: a flood of distinct user ids must not grow this map without limit.
    if (readings.size > 100_000) readings.clear();
    return tokens;
  }

  return {
    async check(userId) {
      const used = await tokensToday(userId);
      if (used === undefined || used < deps.dailyTokens) return;
      const now = new Date();
      throw new HttpError(
        429,
        'daily_token_budget_exceeded',
        `user ${userId} has used ${used} of ${deps.dailyTokens} tokens today (UTC); the budget resets at midnight UTC`,
        undefined,
        { 'Retry-After': String(secondsToUtcMidnight(now)) },
      );
    },
  };
}
