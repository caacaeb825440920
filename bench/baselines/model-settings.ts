/** The zod fields of the model settings every peer baseline reads (same names as our stack's). */
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** ANTHROPIC_BASE_URL/API_KEY and the CLAUDE_* call settings. */
export const modelSettingsShape = {
  ANTHROPIC_BASE_URL: z.url().optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  CLAUDE_MODEL: z.string().min(1).default('claude-sonnet-4-6'),
  CLAUDE_MAX_TOKENS: int(1, 128_000).default(1024),
  CLAUDE_ATTEMPT_TIMEOUT_MS: int(1_000, 3_600_000).default(300_000),
};

/** Parses `env` with `schema`; throws naming each invalid variable (never its value). */
export function parseSettings<T extends z.ZodType>(
  what: string,
  schema: T,
  env: NodeJS.ProcessEnv | Record<string, string>,
): z.infer<T> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success)
    throw new Error(
      `Invalid ${what} configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
