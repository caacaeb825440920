/**
 * Property-based robustness: random JSON, odd unicode, huge numbers, deep nesting and random
 * headers and ids thrown at every endpoint get only 4xx answers with JSON bodies — never a 5xx,
 * a hang, or a started workflow.
 */
import fc from 'fast-check';
import { chatRequestSchema } from '../src/api/schemas';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ workers: false, env: { RATE_LIMIT_PER_KEY_RPS: '0' } });
});

afterAll(async () => {
  await stack.close();
});

/** Sends a request; fails on a hang (5 s), a 5xx, or a non-JSON body. */
async function expectClientError(path: string, init: RequestInit): Promise<number> {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    ...init,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  expect(res.status).toBeLessThan(500);
  // `/chat/..` resolves to `/`, where a GET gets the web console's page: HTML, by design.
  if (new URL(`${stack.apiUrl}${path}`).pathname === '/' && (init.method ?? 'GET') === 'GET') {
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    return res.status;
  }
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = JSON.parse(text) as { error?: unknown };
  if (res.status >= 400) expect(typeof body.error).toBe('string');
  return res.status;
}

/** Percent-encodes, keeping lone surrogates as their (invalid) UTF-8 bytes instead of throwing. */
function encodePath(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

/** A body that would legitimately start a job (and so is not an invalid input). */
function isValidSubmission(value: unknown): boolean {
  return (
    chatRequestSchema.safeParse(value).success &&
    typeof (value as { user_id?: unknown }).user_id === 'string'
  );
}

const oddStrings = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme-composite', maxLength: 50 }),
  fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '🧨'.repeat(50), ' '.repeat(1000)),
);
const hugeNumbers = fc.oneof(
  fc.double(),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2, -0),
  fc.bigInt().map((n) => Number(n)),
);
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    oddStrings,
    hugeNumbers,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(
        oddStrings,
        fc.constantFrom('user_id', 'message', 'priority', 'timeout_s', '__proto__'),
      ),
      tie('value'),
      {
        maxKeys: 5,
      },
    ),
    fc.record(
      {
        user_id: fc.oneof(oddStrings, hugeNumbers, fc.constant(null)),
        message: fc.oneof(oddStrings, hugeNumbers, fc.constant(null)),
        priority: fc.oneof(oddStrings, hugeNumbers),
        timeout_s: fc.oneof(oddStrings, hugeNumbers),
      },
      { requiredKeys: [] },
    ),
  ),
})).value;

it('POST /chat: random bodies get a JSON 4xx and start nothing', async () => {
  await fc.assert(
    fc.asyncProperty(jsonish, async (value) => {
      fc.pre(!isValidSubmission(value));
      const status = await expectClientError('/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(value),
      });
      expect(status).toBeGreaterThanOrEqual(400);
    }),
    { numRuns: 300 },
  );
});

it('POST /chat: raw byte soup, deep nesting and odd content types get a JSON 4xx', async () => {
  const bodies = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 500 }),
    fc.integer({ min: 1, max: 100_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc
      .integer({ min: 1, max: 50_000 })
      .map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
    fc.constantFrom(
      '{"user_id":"u","message":"x"',
      '{"message":"\\ud800"}',
      'null',
      '1e999',
      '"\\u0000"',
    ),
  );
  const contentTypes = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
  );
  await fc.assert(
    fc.asyncProperty(bodies, contentTypes, async (body, contentType) => {
      const status = await expectClientError('/chat', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      expect(status).toBeGreaterThanOrEqual(400);
    }),
    { numRuns: 200 },
  );
});

it('GET and DELETE /chat/:id, GET /queues: random ids, query strings and headers never 5xx', async () => {
  const segment = fc.oneof(
    oddStrings,
    fc.uuid(),
    fc.constantFrom('..', '%00', '%', '%E0%A4%A', 'a'.repeat(5000)),
  );
  const headerValue = fc.string({ unit: 'grapheme-ascii', maxLength: 300 });
  await fc.assert(
    fc.asyncProperty(
      segment,
      fc.constantFrom('GET', 'DELETE'),
      headerValue,
      async (id, method, header) => {
        const path = `/chat/${encodePath(id)}`;
        await expectClientError(path, {
          method,
          headers: { 'idempotency-key': header, 'x-request-id': header },
        });
      },
    ),
    { numRuns: 200 },
  );
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: 'grapheme-ascii', maxLength: 100 }), async (query) => {
      await expectClientError(`/queues?${encodePath(query)}=${encodePath(query)}`, {
        method: 'GET',
      });
    }),
    { numRuns: 50 },
  );
});

it('none of it started a workflow', async () => {
  const { count } = await stack.client.workflow.count(
    `TaskQueue = '${stack.config.taskQueues.workflows}'`,
  );
  expect(count).toBe(0);
});
