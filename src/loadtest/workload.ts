/**
 * What the load generator sends: users, priorities, messages and fake-model directives, drawn
 * from a seeded PRNG so two runs with the same options send the same requests.
 */

/** Kinds of message the generator can send. */
export type MessageKind = 'arith' | 'echo' | 'long';

/** Weighted choice among values, e.g. priorities `{high: 1, normal: 9}`. */
export type Weights<K extends string> = Partial<Record<K, number>>;

/** Fake-model directives applied to every request (`[[fake …]]`); see src/fake-claude. */
export interface FakeDirectives {
  latencyMs?: number;
  ttftMs?: number;
  tps?: number;
  /** Failure scripts and the fraction of jobs that get each, e.g. `{ '429:1': 0.1 }`. */
  failMix?: Record<string, number>;
}

/** Everything that shapes the requests. */
export interface WorkloadSpec {
  users: number;
  userPrefix: string;
  priorityMix: Weights<'high' | 'medium' | 'normal'>;
  messageMix: Weights<MessageKind>;
  fake: FakeDirectives;
  /** Distinguishes this run's fake-model keys from any other run's. */
  runId: string;
  seed: number;
}

/** One request to send, with what a correct answer must contain. */
export interface PlannedRequest {
  seq: number;
  userId: string;
  priority: 'high' | 'medium' | 'normal';
  kind: MessageKind;
  message: string;
  /** Conversation key given to the fake (`key=`), so its call log attributes calls per job. */
  key: string;
  /** Text the answer must contain (arithmetic only). */
  expected?: string;
  /** Failure script injected for this job, if any. */
  fault?: string;
}

/** mulberry32: tiny, fast, good enough to spread a workload; seeded for repeatability. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<K extends string>(weights: Weights<K>, r: number): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let x = r * total;
  for (const [key, w] of entries) {
    x -= w;
    if (x < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

const LONG_TEXT =
  'Summarise the trade-offs between durable execution and hand-rolled job queues for ' +
  'long-running model calls, covering retries, crash recovery, priorities and observability.';

/** Builds the `[[fake …]]` directive for one request (empty when nothing applies). */
function directiveFor(spec: FakeDirectives, key: string, fault: string | undefined): string {
  const parts = [`key=${key}`];
  if (spec.latencyMs !== undefined) parts.push(`latency_ms=${spec.latencyMs}`);
  if (spec.ttftMs !== undefined) parts.push(`ttft_ms=${spec.ttftMs}`);
  if (spec.tps !== undefined) parts.push(`tps=${spec.tps}`);
  if (fault !== undefined) parts.push(`fail=${fault}`);
  return ` [[fake ${parts.join(' ')}]]`;
}

/**
 * Returns a generator of requests. Arithmetic questions use distinct operands per request
 * (`seq` is folded in), so every answer is checkable and no two jobs share a conversation.
 */
export function createWorkload(spec: WorkloadSpec): (seq: number) => PlannedRequest {
  const random = seededRandom(spec.seed);
  const faults = Object.entries(spec.fake.failMix ?? {});
  return (seq) => {
    const userId = `${spec.userPrefix}-${Math.floor(random() * spec.users)}`;
    const priority = pick(spec.priorityMix, random());
    const kind = pick(spec.messageMix, random());
    const key = `${spec.runId}-${seq}`;
    let fault: string | undefined;
    let r = random();
    for (const [script, fraction] of faults) {
      if (r < fraction) {
        fault = script;
        break;
      }
      r -= fraction;
    }
    const directive = directiveFor(spec.fake, key, fault);
    if (kind === 'arith') {
      const a = 2 + (seq % 997);
      const b = 3 + Math.floor(random() * 97);
      return {
        seq,
        userId,
        priority,
        kind,
        key,
        fault,
        message: `What is ${a} * ${b}?${directive}`,
        expected: `${a} * ${b} = ${a * b}`,
      };
    }
    const text = kind === 'long' ? LONG_TEXT : `Hello from load test request ${seq}.`;
    return { seq, userId, priority, kind, key, fault, message: `${text}${directive}` };
  };
}
