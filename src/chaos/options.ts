/** Options of `npm run chaos` (flags or `CHAOS_*` variables), validated with zod. */
import { z } from 'zod';
import { parseToolArgs } from '../runtime/cli-args';

const seconds = (max: number) => z.coerce.number().min(0).max(max);

/** The flags (kebab-case) and their validation. */
export const chaosArgsSchema = z
  .object({
    rate: z.coerce.number().positive().max(1_000).default(10),
    duration: z.coerce.number().positive().max(3_600).default(40),
    'activity-workers': z.coerce.number().int().min(1).max(16).default(2),
    'latency-ms': z.coerce.number().int().min(0).max(600_000).default(2_000),
    'first-at': seconds(3_600).default(5),
    'kill-every': seconds(3_600).default(10),
    'restart-after': seconds(600).default(2),
    'stop-every': seconds(3_600).default(0),
    'stop-for': seconds(600).default(8),
    'kill-temporal-at': seconds(3_600).optional(),
    'temporal-down-for': seconds(600).default(3),
    'heartbeat-timeout-ms': z.coerce.number().int().min(1_000).max(600_000).default(5_000),
    'temporal-address': z
      .string()
      .regex(/^[\w.-]+:\d+$/, 'host:port')
      .optional(),
    'temporal-namespace': z.string().min(1).default('default'),
    'drain-timeout': z.coerce.number().positive().max(3_600).default(120),
    'poll-interval': z.coerce.number().int().min(10).max(60_000).default(500),
    out: z.string().min(1).optional(),
    seed: z.coerce.number().int().min(0).default(1),
    quiet: z.boolean().default(false),
  })
  .refine((o) => o['kill-temporal-at'] === undefined || o['temporal-address'] === undefined, {
    path: ['kill-temporal-at'],
    message: 'can only kill a Temporal dev server the chaos run started (omit --temporal-address)',
  });

/** Validated chaos options (times in ms). */
export interface ChaosOptions {
  rate: number;
  durationS: number;
  activityWorkers: number;
  /** Fake model latency of every job (long enough for kills to land mid-call). */
  latencyMs: number;
  firstAtMs: number;
  /** 0 = no SIGKILLs. */
  killEveryMs: number;
  restartAfterMs: number;
  /** 0 = no SIGSTOPs. */
  stopEveryMs: number;
  stopForMs: number;
  killTemporalAtMs?: number;
  temporalDownForMs: number;
  heartbeatTimeoutMs: number;
  temporalAddress?: string;
  temporalNamespace: string;
  drainTimeoutS: number;
  pollIntervalMs: number;
  out?: string;
  seed: number;
  quiet: boolean;
}

/** Defaults for programmatic use (tests, bench). */
export function chaosOptions(overrides: Partial<ChaosOptions> = {}): ChaosOptions {
  return {
    rate: 10,
    durationS: 40,
    activityWorkers: 2,
    latencyMs: 2_000,
    firstAtMs: 5_000,
    killEveryMs: 10_000,
    restartAfterMs: 2_000,
    stopEveryMs: 0,
    stopForMs: 8_000,
    temporalDownForMs: 3_000,
    heartbeatTimeoutMs: 5_000,
    temporalNamespace: 'default',
    drainTimeoutS: 120,
    pollIntervalMs: 500,
    seed: 1,
    quiet: true,
    ...overrides,
  };
}

/**
 * Parses flags and `CHAOS_*` variables.
 *
 * @throws ArgsError naming each invalid flag.
 */
export function parseChaosArgs(argv: string[], env: NodeJS.ProcessEnv): ChaosOptions {
  const { options: o } = parseToolArgs(chaosArgsSchema, argv, env, 'CHAOS', ['quiet']);
  const s = (value: number) => Math.round(value * 1_000);
  return {
    rate: o.rate,
    durationS: o.duration,
    activityWorkers: o['activity-workers'],
    latencyMs: o['latency-ms'],
    firstAtMs: s(o['first-at']),
    killEveryMs: s(o['kill-every']),
    restartAfterMs: s(o['restart-after']),
    stopEveryMs: s(o['stop-every']),
    stopForMs: s(o['stop-for']),
    killTemporalAtMs: o['kill-temporal-at'] === undefined ? undefined : s(o['kill-temporal-at']),
    temporalDownForMs: s(o['temporal-down-for']),
    heartbeatTimeoutMs: o['heartbeat-timeout-ms'],
    temporalAddress: o['temporal-address'],
    temporalNamespace: o['temporal-namespace'],
    drainTimeoutS: o['drain-timeout'],
    pollIntervalMs: o['poll-interval'],
    out: o.out,
    seed: o.seed,
    quiet: o.quiet,
  };
}
