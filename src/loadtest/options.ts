/**
 * Options of `npm run loadtest`, from flags or `LOADTEST_*` variables, validated with zod so a
 * typo fails with the flag's name instead of silently running a different test.
 */
import { z } from 'zod';
import { isLoopbackUrl, parseToolArgs } from '../runtime/cli-args';
import type { MessageKind } from './workload';

const positive = (max: number) => z.coerce.number().positive().max(max);
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Parses `a=1,b=2` into weights over `keys`; each weight a number >= 0, at least one > 0. */
function weights<K extends string>(keys: readonly K[]) {
  return z.string().transform((text, ctx): Partial<Record<K, number>> => {
    const out: Partial<Record<K, number>> = {};
    for (const part of text.split(',').filter((p) => p.trim() !== '')) {
      const [name = '', value = ''] = part.split('=').map((s) => s.trim());
      const weight = Number(value);
      if (!(keys as readonly string[]).includes(name) || !Number.isFinite(weight) || weight < 0) {
        ctx.addIssue({
          code: 'custom',
          message: `"${part}" is not name=weight with name one of ${keys.join('|')} and weight >= 0`,
        });
        return z.NEVER;
      }
      out[name as K] = weight;
    }
    if (!Object.values<number | undefined>(out).some((w) => (w ?? 0) > 0)) {
      ctx.addIssue({ code: 'custom', message: 'needs at least one weight > 0' });
      return z.NEVER;
    }
    return out;
  });
}

/** `429:1=0.1,529:1=0.05`: failure script = fraction of jobs (fractions sum to <= 1). */
const failMix = z.string().transform((text, ctx): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const at = part.lastIndexOf('=');
    const script = part.slice(0, at).trim();
    const fraction = Number(part.slice(at + 1));
    if (at <= 0 || !/^[a-z0-9_:]+$/i.test(script) || !(fraction >= 0 && fraction <= 1)) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not script=fraction (0..1)` });
      return z.NEVER;
    }
    out[script] = fraction;
  }
  if (Object.values(out).reduce((s, f) => s + f, 0) > 1) {
    ctx.addIssue({ code: 'custom', message: 'fractions add up to more than 1' });
    return z.NEVER;
  }
  return out;
});

const MESSAGE_KINDS: readonly MessageKind[] = ['arith', 'echo', 'long'];

/** The flags (kebab-case keys) and their validation. */
export const loadtestArgsSchema = z
  .object({
    url: z.url().default('http://127.0.0.1:8000'),
    rate: positive(5_000).default(10),
    duration: positive(3_600).default(30),
    users: count(1, 1_000_000).default(10),
    'user-prefix': z
      .string()
      .regex(/^[A-Za-z0-9._@:+-]{1,64}$/, 'letters, digits and . _ @ : + - only')
      .default('loadtest'),
    'priority-mix': weights(['high', 'medium', 'normal'] as const).default({
      high: 1,
      medium: 1,
      normal: 8,
    }),
    'message-mix': weights(MESSAGE_KINDS).default({ arith: 1 }),
    'latency-ms': z.coerce.number().min(0).max(600_000).optional(),
    'ttft-ms': z.coerce.number().min(0).max(600_000).optional(),
    tps: z.coerce.number().min(0).max(100_000).optional(),
    'fail-mix': failMix.optional(),
    'poll-interval': count(10, 60_000).default(1_000),
    'poll-concurrency': count(1, 1_000).default(16),
    'drain-timeout': positive(3_600).default(60),
    'max-in-flight': count(1, 100_000).default(2_000),
    'request-timeout': count(100, 600_000).default(10_000),
    out: z.string().min(1).optional(),
    seed: count(0, 2 ** 31).default(1),
    quiet: z.boolean().default(false),
    'allow-remote': z.boolean().default(false),
  })
  .refine((o) => o['allow-remote'] || isLoopbackUrl(o.url), {
    path: ['url'],
    message: 'is not a loopback address; pass --allow-remote to load-test another host',
  });

/** Validated loadtest options. */
export interface LoadtestOptions {
  url: string;
  /** Requests per second (open loop: sent on schedule whatever the answers). */
  rate: number;
  durationS: number;
  users: number;
  userPrefix: string;
  priorityMix: Partial<Record<'high' | 'medium' | 'normal', number>>;
  messageMix: Partial<Record<MessageKind, number>>;
  latencyMs?: number;
  ttftMs?: number;
  tps?: number;
  failMix?: Record<string, number>;
  pollIntervalMs: number;
  pollConcurrency: number;
  drainTimeoutS: number;
  maxInFlight: number;
  requestTimeoutMs: number;
  out?: string;
  seed: number;
  quiet: boolean;
}

/** Defaults for programmatic use (tests, chaos, bench): every optional field filled. */
export function loadtestOptions(
  overrides: Partial<LoadtestOptions> & { url: string },
): LoadtestOptions {
  return {
    rate: 10,
    durationS: 10,
    users: 10,
    userPrefix: 'loadtest',
    priorityMix: { high: 1, medium: 1, normal: 8 },
    messageMix: { arith: 1 },
    pollIntervalMs: 1_000,
    pollConcurrency: 16,
    drainTimeoutS: 60,
    maxInFlight: 2_000,
    requestTimeoutMs: 10_000,
    seed: 1,
    quiet: true,
    ...overrides,
  };
}

/**
 * Parses command-line flags (and `LOADTEST_*` variables).
 *
 * @throws ArgsError naming each invalid flag.
 */
export function parseLoadtestArgs(argv: string[], env: NodeJS.ProcessEnv): LoadtestOptions {
  const { options: o } = parseToolArgs(loadtestArgsSchema, argv, env, 'LOADTEST', [
    'quiet',
    'allow-remote',
  ]);
  return {
    url: o.url,
    rate: o.rate,
    durationS: o.duration,
    users: o.users,
    userPrefix: o['user-prefix'],
    priorityMix: o['priority-mix'],
    messageMix: o['message-mix'],
    latencyMs: o['latency-ms'],
    ttftMs: o['ttft-ms'],
    tps: o.tps,
    failMix: o['fail-mix'],
    pollIntervalMs: o['poll-interval'],
    pollConcurrency: o['poll-concurrency'],
    drainTimeoutS: o['drain-timeout'],
    maxInFlight: o['max-in-flight'],
    requestTimeoutMs: o['request-timeout'],
    out: o.out,
    seed: o.seed,
    quiet: o.quiet,
  };
}
