import type { Logger } from 'pino';
import { HttpError } from '../api/http-error';
import type { UsageReader } from './types';

/** Dependencies of {@link createTokenBudget}. */
export interface TokenBudgetDeps {
  /** The usage ledger (PostgreSQL or the ledger workflows' memos). */
  usage: UsageReader;
  logger: Logger;
  /** Tokens per user per UTC day (> 0). */
  dailyTokens: number;
  /** How long a user's reading is reused (concurrent requests share one reading too). */
  cacheMs: number;
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
 * come from the usage ledger (one indexed query in PostgreSQL, or one `describe` of the ledger
 * workflow), cached per user for `cacheMs`. Every model call's usage is committed before its
 * activity completes, so a finished job's tokens are in the next reading. The budget is checked
 * when a job is submitted: jobs already admitted run to completion, so a user can overshoot by
 * what their in-flight jobs use. If the ledger cannot be read the request is admitted (fail
 * open, like the backlog check) and logged.
 */
export function createTokenBudget(deps: TokenBudgetDeps): TokenBudget {
  const readings = new Map<string, { at: number; tokens: Promise<number | undefined> }>();

  async function readTokensToday(userId: string): Promise<number | undefined> {
    try {
      return await deps.usage.tokensOn(userId, utcDay(new Date()));
    } catch (err) {
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
