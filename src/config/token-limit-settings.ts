import { z } from 'zod';

const perMin = z.number().int().min(0).max(1_000_000_000);

/**
 * `CLAUDE_TOKEN_LIMITS_BY_MODEL`: JSON of model-name prefix → `{inputPerMin?, outputPerMin?}`
 * overriding `CLAUDE_MAX_INPUT_TOKENS_PER_MIN` / `CLAUDE_MAX_OUTPUT_TOKENS_PER_MIN` for those
 * models (longest prefix wins), e.g. `{"claude-opus-4":{"inputPerMin":30000}}`.
 */
export const tokenLimitsByModelFromJson = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().min(1).max(100),
      z.strictObject({ inputPerMin: perMin.optional(), outputPerMin: perMin.optional() }),
    ),
  );
