/**
 * Shared argument handling of the tools (loadtest, chaos, chat, bench): `--name value` and
 * `--name=value` flags merged over `PREFIX_NAME` environment variables, validated by a zod schema
 * whose error messages name the flag.
 */
import { parseArgs } from 'node:util';
import type { z } from 'zod';

/** Turns `poll-interval` into `PREFIX_POLL_INTERVAL`. */
function envName(prefix: string, flag: string): string {
  return `${prefix}_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/** Raised for invalid arguments; the message lists every bad flag. */
export class ArgsError extends Error {}

/**
 * Parses `argv` (without node and script) against `schema`, whose keys are the flag names in
 * kebab-case. Boolean flags are listed in `booleans`. Values not given on the command line are
 * taken from `${envPrefix}_*` variables, then the schema's defaults.
 *
 * @returns the parsed options and the positional arguments.
 * @throws ArgsError naming each invalid flag (and its environment variable).
 */
export function parseToolArgs<S extends z.ZodObject>(
  schema: S,
  argv: string[],
  env: NodeJS.ProcessEnv,
  envPrefix: string,
  booleans: readonly string[] = [],
): { options: z.infer<S>; positionals: string[] } {
  const flags = Object.keys(schema.shape);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        flags.map((flag) => [flag, { type: booleans.includes(flag) ? 'boolean' : 'string' }]),
      ),
    });
  } catch (err) {
    throw new ArgsError(`${(err as Error).message}. Known flags: --${flags.join(', --')}`);
  }
  const raw: Record<string, unknown> = {};
  for (const flag of flags) {
    const fromArgs = parsed.values[flag];
    const fromEnv = env[envName(envPrefix, flag)];
    if (fromArgs !== undefined) raw[flag] = fromArgs;
    else if (fromEnv !== undefined && fromEnv !== '')
      raw[flag] = booleans.includes(flag) ? ['1', 'true', 'yes'].includes(fromEnv) : fromEnv;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const flag = String(issue.path[0] ?? '');
      return `--${flag} (or ${envName(envPrefix, flag)}): ${issue.message}`;
    });
    throw new ArgsError(`invalid arguments: ${problems.join('; ')}`);
  }
  return { options: result.data, positionals: parsed.positionals };
}

/** True for loopback hosts (127.0.0.0/8, localhost, ::1). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
