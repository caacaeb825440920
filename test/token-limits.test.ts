/**
 * Token-aware fleet rate limits. The fake enforces per-minute limits with Anthropic's
 * `anthropic-ratelimit-*` headers and 429s; two activity workers on one task queue, each holding
 * its half of CLAUDE_MAX_INPUT_TOKENS_PER_MIN, keep a backlog of long-prompt jobs under the
 * fake's input-token limit (no 429) while using at least 80% of it, judged on the fake's log.
 */
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { createAnthropicClient } from '../src/activities/anthropic-client';
import { startFakeClaude } from '../src/fake-claude';
import { createDataConverter } from '../src/security/data-converter';
import { openUsageWriter, type UsageWriter } from '../src/usage';
import { activityWorkerSettings, createActivityWorkers } from '../src/worker/create-workers';
import { postJson } from './helpers/http';
import { startTestStack } from './helpers/stack';
import { testTemporal } from './helpers/temporal';

/** A Messages API request to the fake, as raw HTTP (to read its headers). */
async function messages(url: string, words: number) {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-6',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'word '.repeat(words).trim() }],
    }),
  });
}

describe('the fake enforces per-minute limits the way the API does', () => {
  it('sends anthropic-ratelimit-* headers on every response and a 429 with retry-after when over', async () => {
    const fake = await startFakeClaude({
      rateLimits: { requestsPerMin: 50, inputTokensPerMin: 100, outputTokensPerMin: 1000 },
    });
    try {
      const first = await messages(fake.url, 60);
      expect(first.status).toBe(200);
      expect(first.headers.get('anthropic-ratelimit-input-tokens-limit')).toBe('100');
      expect(Number(first.headers.get('anthropic-ratelimit-input-tokens-remaining'))).toBe(40);
      expect(first.headers.get('anthropic-ratelimit-requests-limit')).toBe('50');
      expect(Number(first.headers.get('anthropic-ratelimit-requests-remaining'))).toBe(49);
      expect(first.headers.get('anthropic-ratelimit-output-tokens-limit')).toBe('1000');
      const reset = first.headers.get('anthropic-ratelimit-input-tokens-reset')!;
      // RFC 3339, in the future (the bucket refills within the minute).
      expect(reset).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(Date.parse(reset)).toBeGreaterThan(Date.now() - 1000);
      await first.text();

      const second = await messages(fake.url, 60);
      expect(second.status).toBe(429);
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(second.headers.get('anthropic-ratelimit-input-tokens-limit')).toBe('100');
      expect(await second.json()).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error' },
      });
      const log = fake.calls();
      expect(log.map((c) => c.status)).toEqual([200, 429]);
      expect(log[1]!.outcome).toBe('rate_limited');
    } finally {
      await fake.close();
    }
  });

  it('sends no rate-limit headers when no limit is configured', async () => {
    const fake = await startFakeClaude();
    try {
      const res = await messages(fake.url, 5);
      expect(res.status).toBe(200);
      expect(res.headers.get('anthropic-ratelimit-input-tokens-limit')).toBeNull();
      await res.text();
    } finally {
      await fake.close();
    }
  });
});

const LIMIT = 20_000;

it('holds 2 activity workers under 20,000 input tokens/min with no 429, using ≥ 80% of it', async () => {
  const stack = await startTestStack({
    inProcessActivities: false,
    fake: { rateLimits: { inputTokensPerMin: LIMIT } },
    env: {
      CLAUDE_MAX_INPUT_TOKENS_PER_MIN: String(LIMIT),
      CLAUDE_TOKEN_LIMIT_WORKERS: '2',
      // Few slots per worker: the backlog waits in Temporal, not inside activities.
      MAX_CONCURRENT_CLAUDE_CALLS: '4',
      ADMISSION_MAX_BACKLOG: '0',
    },
  });
  // One connection per worker, as two processes would have (one per worker is required).
  const connections = await Promise.all(
    [0, 1].map(() => NativeConnection.connect({ address: testTemporal().address })),
  );
  const logger = pino({ level: 'silent' });
  let usage: UsageWriter | undefined;
  const workers: Worker[] = [];
  let running: Promise<unknown> | undefined;
  try {
    usage = await openUsageWriter({ config: stack.config, client: stack.client, logger });
    // Two workers on the same queue, each with its own limiter: as two worker processes.
    for (let i = 0; i < 2; i++) {
      workers.push(
        ...(await createActivityWorkers({
          connection: connections[i]!,
          namespace: testTemporal().namespace,
          shutdownGraceMs: 1_000,
          dataConverter: createDataConverter(stack.config.payloadEncryption.keyring),
          ...activityWorkerSettings(stack.config),
          identity: `token-worker-${i}`,
          anthropic: createAnthropicClient({ baseURL: stack.fake.url, timeoutMs: 30_000 }),
          logger,
          usage,
        })),
      );
    }
    running = Promise.all(workers.map((w) => w.run()));

    // ~1,000 input tokens per job (the fake bills a word as a token): a backlog far beyond what
    // the limit lets through in the measured window, submitted up front.
    const prompt = `Summarise:${' word'.repeat(1_000)}`;
    for (let i = 0; i < 70; i++) {
      const res = await postJson(`${stack.apiUrl}/chat`, {
        user_id: `tokens-${i % 5}`,
        message: prompt,
      });
      if (res.status !== 202) throw new Error(`POST ${res.status}: ${JSON.stringify(res.body)}`);
    }
    // Wait (on the fake's log, generously) until its calls span the 15 s warm-up (the buckets
    // start full: that burst is excluded) plus a 60 s window.
    const WARMUP_MS = 15_000;
    const WINDOW_MS = 60_000;
    const deadline = Date.now() + 300_000;
    let first = 0;
    for (;;) {
      const calls = stack.fake.calls();
      first = calls.length > 0 ? Date.parse(calls[0]!.at) : 0;
      const last = calls.length > 0 ? Date.parse(calls[calls.length - 1]!.at) : 0;
      if (first > 0 && last >= first + WARMUP_MS + WINDOW_MS) break;
      if (Date.now() > deadline) throw new Error(`only ${calls.length} calls in 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const calls = stack.fake.calls();
    const rateLimited = calls.filter((c) => c.status === 429).length;
    const from = first + WARMUP_MS;
    const windowTokens = calls
      .filter((c) => c.status === 200)
      .filter((c) => Date.parse(c.at) >= from && Date.parse(c.at) < from + WINDOW_MS)
      .reduce((sum, c) => sum + c.inputTokens, 0);
    // For BENCHMARKS.md: tokens/min reached in the window vs allowed, and 429s.
    process.stdout.write(
      `token-limits: ${windowTokens} input tokens in 60 s (limit ${LIMIT}/min, ` +
        `${((100 * windowTokens) / LIMIT).toFixed(1)}%), ${calls.length} calls, ${rateLimited} 429s\n`,
    );
    expect(rateLimited).toBe(0);
    expect(windowTokens).toBeGreaterThanOrEqual(0.8 * LIMIT);
    expect(windowTokens).toBeLessThanOrEqual(LIMIT * 1.1);
  } finally {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    // Workers created but never run still hold the connection: run and stop them at once.
    if (!running) await Promise.all(workers.map((w) => w.runUntil(Promise.resolve())));
    await usage?.close();
    for (const connection of connections) await connection.close();
    await stack.close();
  }
}, 420_000);
