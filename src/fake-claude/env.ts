/**
 * Fake server options from environment variables, so `npm start` and benchmarks can shape the fake
 * without code. A bad value fails fast with the variable's name instead of being silently ignored.
 */
import { z } from 'zod';

import { parseFailureScript } from './failure-script';
import { type FakeClaudeOptions } from './types';

/** Treat unset and blank variables alike: a blank line in a .env file means "default". */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    schema.optional(),
  );
}

const nonNegative = z.coerce.number().min(0, 'must be a number >= 0');
const probability = z.coerce
  .number()
  .min(0, 'must be between 0 and 1')
  .max(1, 'must be between 0 and 1');

const failureScript = z.string().superRefine((script, ctx) => {
  try {
    parseFailureScript(script);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const envSchema = z.object({
  FAKE_CLAUDE_LATENCY_MS: optional(nonNegative),
  FAKE_CLAUDE_TTFT_MS: optional(nonNegative),
  FAKE_CLAUDE_TPS: optional(nonNegative),
  FAKE_CLAUDE_REPLY: z.string().optional(),
  FAKE_CLAUDE_FAILURES: optional(failureScript),
  FAKE_CLAUDE_RATE_429: optional(probability),
  FAKE_CLAUDE_RATE_529: optional(probability),
  FAKE_CLAUDE_RATE_500: optional(probability),
  FAKE_CLAUDE_RATE_RESET: optional(probability),
  FAKE_CLAUDE_RETRY_AFTER_S: optional(nonNegative),
  FAKE_CLAUDE_REQUESTS_PER_MIN: optional(nonNegative),
  FAKE_CLAUDE_INPUT_TOKENS_PER_MIN: optional(nonNegative),
  FAKE_CLAUDE_OUTPUT_TOKENS_PER_MIN: optional(nonNegative),
  FAKE_CLAUDE_SEED: optional(z.coerce.number().int('must be an integer')),
});

/**
 * Read {@link FakeClaudeOptions} from `FAKE_CLAUDE_*` variables.
 *
 * @throws Error whose message names each invalid variable and its value.
 */
export function fakeClaudeOptionsFromEnv(env: NodeJS.ProcessEnv): FakeClaudeOptions {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      return `${name}=${JSON.stringify(env[name])}: ${issue.message}`;
    });
    throw new Error(`Invalid fake-claude configuration: ${problems.join('; ')}`);
  }
  const e = result.data;
  const options: FakeClaudeOptions = {};
  if (e.FAKE_CLAUDE_LATENCY_MS !== undefined) options.latencyMs = e.FAKE_CLAUDE_LATENCY_MS;
  if (e.FAKE_CLAUDE_TTFT_MS !== undefined) options.ttftMs = e.FAKE_CLAUDE_TTFT_MS;
  if (e.FAKE_CLAUDE_TPS !== undefined) options.tokensPerSecond = e.FAKE_CLAUDE_TPS;
  if (e.FAKE_CLAUDE_REPLY !== undefined) options.fixedReply = e.FAKE_CLAUDE_REPLY;
  if (e.FAKE_CLAUDE_FAILURES !== undefined) options.failures = e.FAKE_CLAUDE_FAILURES;
  if (e.FAKE_CLAUDE_SEED !== undefined) options.seed = e.FAKE_CLAUDE_SEED;

  const faultRates: NonNullable<FakeClaudeOptions['faultRates']> = {};
  if (e.FAKE_CLAUDE_RATE_429 !== undefined) faultRates.rateLimited = e.FAKE_CLAUDE_RATE_429;
  if (e.FAKE_CLAUDE_RATE_529 !== undefined) faultRates.overloaded = e.FAKE_CLAUDE_RATE_529;
  if (e.FAKE_CLAUDE_RATE_500 !== undefined) faultRates.serverError = e.FAKE_CLAUDE_RATE_500;
  if (e.FAKE_CLAUDE_RATE_RESET !== undefined) faultRates.reset = e.FAKE_CLAUDE_RATE_RESET;
  if (e.FAKE_CLAUDE_RETRY_AFTER_S !== undefined)
    faultRates.retryAfterS = e.FAKE_CLAUDE_RETRY_AFTER_S;
  if (Object.keys(faultRates).length > 0) options.faultRates = faultRates;
  const rateLimits = {
    ...(e.FAKE_CLAUDE_REQUESTS_PER_MIN !== undefined
      ? { requestsPerMin: e.FAKE_CLAUDE_REQUESTS_PER_MIN }
      : {}),
    ...(e.FAKE_CLAUDE_INPUT_TOKENS_PER_MIN !== undefined
      ? { inputTokensPerMin: e.FAKE_CLAUDE_INPUT_TOKENS_PER_MIN }
      : {}),
    ...(e.FAKE_CLAUDE_OUTPUT_TOKENS_PER_MIN !== undefined
      ? { outputTokensPerMin: e.FAKE_CLAUDE_OUTPUT_TOKENS_PER_MIN }
      : {}),
  };
  if (Object.keys(rateLimits).length > 0) options.rateLimits = rateLimits;
  return options;
}
