/** Arguments of `npm run chat -- "message"`, validated with zod. */
import { z } from 'zod';
import { ArgsError, parseToolArgs } from '../runtime/cli-args';

/** The flags (kebab-case) and their validation. */
export const chatArgsSchema = z.object({
  url: z.url().optional(),
  user: z
    .string()
    .regex(/^[A-Za-z0-9._@:+-]{1,128}$/, 'letters, digits and . _ @ : + - only (1-128 characters)')
    .default('cli-user'),
  priority: z.enum(['high', 'medium', 'normal', '1', '2', '3']).default('high'),
  timeout: z.coerce.number().positive().max(86_400).default(600),
  'poll-interval': z.coerce.number().int().min(50).max(60_000).default(300),
  'no-stream': z.boolean().default(false),
});

/** Validated chat options. */
export interface ChatOptions {
  apiUrl: string;
  userId: string;
  priority: 'high' | 'medium' | 'normal' | 1 | 2 | 3;
  message: string;
  timeoutMs: number;
  pollIntervalMs: number;
  /** Skip the SSE endpoint and poll. */
  noStream: boolean;
}

/**
 * Parses flags (`CHAT_*` variables too; the API URL also from `API_URL`).
 *
 * @throws ArgsError naming the bad flag, or when no message is given.
 */
export function parseChatArgs(argv: string[], env: NodeJS.ProcessEnv): ChatOptions {
  const { options: o, positionals } = parseToolArgs(chatArgsSchema, argv, env, 'CHAT', [
    'no-stream',
  ]);
  const message = positionals.join(' ').trim();
  if (message === '')
    throw new ArgsError('no message given: npm run chat -- [flags] "message" (--help for usage)');
  const apiUrl = z.url().safeParse(o.url ?? env.API_URL ?? 'http://127.0.0.1:8000');
  if (!apiUrl.success) throw new ArgsError(`API_URL (or --url): not a URL: ${env.API_URL}`);
  const priority = /^\d$/.test(o.priority)
    ? (Number(o.priority) as 1 | 2 | 3)
    : (o.priority as 'high' | 'medium' | 'normal');
  return {
    apiUrl: apiUrl.data.replace(/\/$/, ''),
    userId: o.user,
    priority,
    message,
    timeoutMs: o.timeout * 1_000,
    pollIntervalMs: o['poll-interval'],
    noStream: o['no-stream'],
  };
}
