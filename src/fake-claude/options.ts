/**
 * Normalisation of {@link FakeClaudeOptions}: defaults filled in and values checked once at
 * start-up, so a typo in a test's options fails loudly instead of silently disabling a fault.
 */
import { type FailureStep, parseFailureScript } from './failure-script';
import { type FakeRateLimits } from './rate-limits';
import { type FakeClaudeOptions } from './types';

/** Options with defaults applied and the failure script parsed. */
export interface ResolvedOptions {
  latencyMs: number;
  ttftMs: number;
  tps: number;
  fixedReply: string | undefined;
  failures: FailureStep[];
  faultRates: {
    rateLimited: number;
    overloaded: number;
    serverError: number;
    reset: number;
    retryAfterS: number | undefined;
  };
  seed: number;
  requireApiKey: boolean;
  maxCallLog: number;
  recordRequests: boolean;
  rateLimits: FakeRateLimits;
}

/** Default ring-buffer size of the call log. */
export const DEFAULT_MAX_CALL_LOG = 100_000;

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`fake-claude option ${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

function probability(name: string, value: number | undefined): number {
  const p = nonNegative(`faultRates.${name}`, value, 0);
  if (p > 1) throw new Error(`fake-claude option faultRates.${name} must be <= 1, got ${p}`);
  return p;
}

/**
 * Apply defaults and validate.
 *
 * @throws Error naming the invalid option.
 */
export function resolveOptions(options: FakeClaudeOptions = {}): ResolvedOptions {
  let failures: FailureStep[];
  try {
    failures = parseFailureScript(options.failures ?? '');
  } catch (err) {
    throw new Error(`fake-claude option failures: ${(err as Error).message}`, { cause: err });
  }
  const rates = options.faultRates ?? {};
  const limits = options.rateLimits ?? {};
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new Error(`fake-claude option seed must be an integer`);
  const maxCallLog = nonNegative('maxCallLog', options.maxCallLog, DEFAULT_MAX_CALL_LOG);
  return {
    latencyMs: nonNegative('latencyMs', options.latencyMs, 0),
    ttftMs: nonNegative('ttftMs', options.ttftMs, 0),
    tps: nonNegative('tokensPerSecond', options.tokensPerSecond, 0),
    fixedReply: options.fixedReply,
    failures,
    faultRates: {
      rateLimited: probability('rateLimited', rates.rateLimited),
      overloaded: probability('overloaded', rates.overloaded),
      serverError: probability('serverError', rates.serverError),
      reset: probability('reset', rates.reset),
      retryAfterS:
        rates.retryAfterS === undefined
          ? undefined
          : nonNegative('faultRates.retryAfterS', rates.retryAfterS, 0),
    },
    seed,
    requireApiKey: options.requireApiKey ?? true,
    maxCallLog: Math.max(1, Math.floor(maxCallLog)),
    recordRequests: options.recordRequests ?? false,
    rateLimits: {
      requestsPerMin: nonNegative('rateLimits.requestsPerMin', limits.requestsPerMin, 0),
      inputTokensPerMin: nonNegative('rateLimits.inputTokensPerMin', limits.inputTokensPerMin, 0),
      outputTokensPerMin: nonNegative(
        'rateLimits.outputTokensPerMin',
        limits.outputTokensPerMin,
        0,
      ),
    },
  };
}
