/**
 * Command-line handling shared by every entry point in src/bin: `--help` (usage text with flags,
 * environment settings and their defaults, and an example; printed without starting anything),
 * and `--name value` / `--name=value` flags validated by a zod schema whose error messages name
 * the flag and point at `--help`. The tools (loadtest, chaos, chat, bench) also take each flag
 * from a `PREFIX_NAME` environment variable.
 */
import { parseArgs } from 'node:util';
import type { z } from 'zod';

/** Raised for invalid arguments; the message lists every bad flag. */
export class ArgsError extends Error {}

/** One flag or environment setting in a usage text. */
export interface UsageEntry {
  /** `--rate <value>`, `--quiet` or `PORT`. */
  name: string;
  description: string;
  /** The environment variable that also sets a flag. */
  env?: string;
  default?: string;
}

/** What `<command> --help` prints. */
export interface CommandUsage {
  /** How to run it, e.g. `npm run worker -- [--role workflows|activities|all]`. */
  synopsis: string;
  /** What the command does, in a sentence or two. */
  summary: string;
  flags?: UsageEntry[];
  /** The environment settings that matter most to this command (all of them: .env.example). */
  env?: UsageEntry[];
  example: string;
}

const HELP: UsageEntry = { name: '-h, --help', description: 'print this help and exit' };
const HELP_HINT = 'run with --help for usage';

/** Turns `poll-interval` into `PREFIX_POLL_INTERVAL`. */
function envName(prefix: string, flag: string): string {
  return `${prefix}_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/** The value a schema field takes when nothing is given, as text (undefined: none). */
function defaultOf(field: z.ZodType): string | undefined {
  const result = field.safeParse(undefined);
  if (!result.success || result.data === undefined) return undefined;
  const value: unknown = result.data;
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([key, v]) => `${key}=${String(v)}`)
      .join(',');
  }
  return String(value);
}

/**
 * Usage entries for the flags of a zod object schema (the one given to {@link parseToolArgs}),
 * with defaults read from the schema so the help text cannot drift from the code. `descriptions`
 * must describe every flag.
 */
export function flagsFromSchema<S extends z.ZodObject>(
  schema: S,
  descriptions: Record<keyof S['shape'] & string, string>,
  options: { envPrefix?: string; booleans?: readonly string[] } = {},
): UsageEntry[] {
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([flag, field]) => {
    const boolean = options.booleans?.includes(flag) ?? false;
    // A boolean flag is off unless given: "default: false" says nothing.
    const fallback = boolean ? undefined : defaultOf(field);
    return {
      name: boolean ? `--${flag}` : `--${flag} <value>`,
      description: descriptions[flag as keyof S['shape'] & string],
      ...(options.envPrefix ? { env: envName(options.envPrefix, flag) } : {}),
      ...(fallback !== undefined ? { default: fallback } : {}),
    };
  });
}

/**
 * Usage entries for environment settings validated by `schema` (e.g. the config's envSchema),
 * defaults read from the schema.
 */
export function envFromSchema<S extends z.ZodObject>(
  schema: S,
  descriptions: Partial<Record<keyof S['shape'] & string, string>>,
): UsageEntry[] {
  const shape = schema.shape as Record<string, z.ZodType>;
  return Object.entries(descriptions).map(([name, description]) => {
    const field = shape[name];
    const fallback = field ? defaultOf(field) : undefined;
    return {
      name,
      description: String(description),
      ...(fallback !== undefined ? { default: fallback } : {}),
    };
  });
}

const WIDTH = 100;

/** Word-wraps `text` to {@link WIDTH} columns, continuation lines indented by `indent`. */
function wrap(text: string, indent: number, first = 0): string {
  const lines: string[] = [];
  let line = '';
  let room = WIDTH - first;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = WIDTH - indent;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

function formatEntries(entries: UsageEntry[]): string[] {
  const width = Math.max(...entries.map((entry) => entry.name.length)) + 2;
  return entries.map((entry) => {
    const notes = [
      ...(entry.env ? [`env ${entry.env}`] : []),
      ...(entry.default !== undefined ? [`default ${entry.default}`] : []),
    ];
    const text =
      notes.length > 0 ? `${entry.description} [${notes.join('; ')}]` : entry.description;
    return `  ${entry.name.padEnd(width)}${wrap(text, width + 2, width + 2)}`;
  });
}

/** The text `--help` prints. */
export function formatUsage(usage: CommandUsage): string {
  const lines = [`Usage: ${usage.synopsis}`, '', wrap(usage.summary, 0), '', 'Flags:'];
  lines.push(...formatEntries([...(usage.flags ?? []), HELP]));
  if (usage.env && usage.env.length > 0) {
    lines.push('', 'Environment (every setting: .env.example):', ...formatEntries(usage.env));
  }
  lines.push('', 'Example:', `  ${usage.example}`, '');
  return lines.join('\n');
}

/** True if `argv` asks for help (`--help` or `-h` before a lone `--`). */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * Call first in a command's main: when `argv` asks for help, prints the usage on stdout and
 * returns true (the caller returns, so nothing starts and the process exits 0).
 */
export function helpRequested(usage: CommandUsage, argv = process.argv.slice(2)): boolean {
  if (!asksForHelp(argv)) return false;
  process.stdout.write(formatUsage(usage));
  return true;
}

/**
 * For commands without flags: {@link helpRequested}, and any other argument is an error.
 *
 * @throws ArgsError naming the unexpected argument and `--help`.
 */
export function helpOrNoArgs(usage: CommandUsage, argv = process.argv.slice(2)): boolean {
  if (helpRequested(usage, argv)) return true;
  if (argv.length > 0) {
    throw new ArgsError(`unexpected argument ${JSON.stringify(argv[0])}: ${HELP_HINT}`);
  }
  return false;
}

/**
 * Parses `argv` (without node and script) against `schema`, whose keys are the flag names in
 * kebab-case. Boolean flags are listed in `booleans`. With an `envPrefix`, values not given on the
 * command line are taken from `${envPrefix}_*` variables, then the schema's defaults.
 *
 * @returns the parsed options and the positional arguments.
 * @throws ArgsError naming each invalid flag (and its environment variable) and `--help`.
 */
export function parseToolArgs<S extends z.ZodObject>(
  schema: S,
  argv: string[],
  env: NodeJS.ProcessEnv,
  envPrefix: string | undefined,
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
    // Node's message for an unknown flag ends with advice about `--`; keep its first sentence.
    const first = (err as Error).message.split('. ')[0] ?? '';
    const known = flags.length > 0 ? `known flags: --${flags.join(', --')}; ` : '';
    throw new ArgsError(`${first}; ${known}${HELP_HINT}`);
  }
  const raw: Record<string, unknown> = {};
  for (const flag of flags) {
    const fromArgs = parsed.values[flag];
    const fromEnv = envPrefix ? env[envName(envPrefix, flag)] : undefined;
    if (fromArgs !== undefined) raw[flag] = fromArgs;
    else if (fromEnv !== undefined && fromEnv !== '')
      raw[flag] = booleans.includes(flag) ? ['1', 'true', 'yes'].includes(fromEnv) : fromEnv;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const flag = String(issue.path[0] ?? '');
      const name = envPrefix ? ` (or ${envName(envPrefix, flag)})` : '';
      return `--${flag}${name}: ${issue.message}`;
    });
    throw new ArgsError(`invalid arguments: ${problems.join('; ')}; ${HELP_HINT}`);
  }
  return { options: result.data, positionals: parsed.positionals };
}

/**
 * Flags only, no environment variables and no positional arguments.
 *
 * @throws ArgsError naming each invalid flag and `--help`.
 */
export function parseFlags<S extends z.ZodObject>(
  schema: S,
  argv: string[],
  booleans: readonly string[] = [],
): z.infer<S> {
  const { options, positionals } = parseToolArgs(schema, argv, {}, undefined, booleans);
  if (positionals.length > 0) {
    throw new ArgsError(`unexpected argument ${JSON.stringify(positionals[0])}; ${HELP_HINT}`);
  }
  return options;
}

/** True for loopback hosts (127.0.0.0/8, localhost, ::1). */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
