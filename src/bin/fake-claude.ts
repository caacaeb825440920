/**
 * Stand-alone fake Anthropic API: `npm run fake-claude`. Configured by FAKE_CLAUDE_* variables
 * (see fakeClaudeOptionsFromEnv) plus FAKE_CLAUDE_PORT / FAKE_CLAUDE_HOST.
 */
import { z } from 'zod';

import { fakeClaudeOptionsFromEnv, startFakeClaude } from '../fake-claude';
import { envFromSchema, helpOrNoArgs, type CommandUsage } from '../runtime/cli-args';

const blankToUndefined = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const listenEnv = z.object({
  FAKE_CLAUDE_PORT: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(0).max(65535).default(4010),
  ),
  FAKE_CLAUDE_HOST: z.preprocess(blankToUndefined, z.string().default('127.0.0.1')),
});

const USAGE: CommandUsage = {
  synopsis: 'npm run fake-claude   (node dist/bin/fake-claude.js)',
  summary:
    'A fake Anthropic Messages API (streaming, tool use, scripted failures): deterministic ' +
    'answers, no key, no cost. `npm start` runs one itself when ANTHROPIC_API_KEY is unset.',
  env: [
    ...envFromSchema(listenEnv, {
      FAKE_CLAUDE_PORT: 'listen port',
      FAKE_CLAUDE_HOST: 'listen address',
    }),
    { name: 'FAKE_CLAUDE_LATENCY_MS', description: 'time to answer a call', default: '0' },
    { name: 'FAKE_CLAUDE_FAILURES', description: 'failure script for every call, e.g. 429:1,500' },
    {
      name: 'FAKE_CLAUDE_RATE_429',
      description: 'fraction of calls answered 429 (also _529, _500, _RESET)',
    },
    { name: 'FAKE_CLAUDE_SEED', description: 'seed of the random faults' },
  ],
  example: 'FAKE_CLAUDE_PORT=4010 FAKE_CLAUDE_LATENCY_MS=500 npm run fake-claude',
};

async function main(): Promise<void> {
  if (helpOrNoArgs(USAGE)) return;
  const listen = listenEnv.safeParse(process.env);
  if (!listen.success) {
    const problems = listen.error.issues.map(
      (i) => `${i.path.map(String).join('.')}: ${i.message}`,
    );
    throw new Error(`Invalid fake-claude configuration: ${problems.join('; ')}`);
  }
  const server = await startFakeClaude(fakeClaudeOptionsFromEnv(process.env), {
    port: listen.data.FAKE_CLAUDE_PORT,
    host: listen.data.FAKE_CLAUDE_HOST,
  });
  console.log(`fake-claude listening on ${server.url}`);

  const stop = (): void => {
    // close() destroys open sockets, so the event loop drains and the process exits by itself.
    server.close().then(
      () => undefined,
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
