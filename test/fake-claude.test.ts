/**
 * The fake Anthropic API, driven over real HTTP by the real SDK: if these pass, the SDK parses
 * everything the fake sends exactly as it would parse the real API.
 */
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ContentTooLargeError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
  RequestTimeoutError,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from '@anthropic-ai/sdk';

import {
  type FakeClaudeServer,
  fakeClaudeOptionsFromEnv,
  startFakeClaude,
} from '../src/fake-claude';

const MODEL = 'claude-fake-1';

const calculatorTool = {
  name: 'calculator',
  description: 'Evaluates a binary arithmetic expression',
  input_schema: {
    type: 'object' as const,
    properties: { expression: { type: 'string' } },
    required: ['expression'],
  },
};

function clientFor(server: FakeClaudeServer): Anthropic {
  return new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
}

function ask(
  text: string,
  extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {},
): Anthropic.MessageCreateParamsNonStreaming {
  return { model: MODEL, max_tokens: 256, messages: [{ role: 'user', content: text }], ...extra };
}

function textOf(message: Anthropic.Message): string {
  return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

/** Await a promise that must reject, and return the rejection. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function post(
  server: FakeClaudeServer,
  path: string,
  body: string,
  headers: Record<string, string> = { 'x-api-key': 'test', 'content-type': 'application/json' },
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(server.url + path, { method: 'POST', body, headers });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

describe('fake-claude', () => {
  let server: FakeClaudeServer;
  let client: Anthropic;

  beforeAll(async () => {
    server = await startFakeClaude();
    client = clientFor(server);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  describe('replies', () => {
    it('answers arithmetic non-streaming with a full message shape and usage', async () => {
      const message = await client.messages.create(ask('What is 25 * 17?'));
      expect(message.type).toBe('message');
      expect(message.role).toBe('assistant');
      expect(message.model).toBe(MODEL);
      expect(message.id).toMatch(/^msg_fake_/);
      expect(message.stop_reason).toBe('end_turn');
      expect(textOf(message)).toContain('25 * 17 = 425');
      // "What is 25 * 17?" is 5 words; the reply "25 * 17 = 425" is 5 chunks.
      expect(message.usage.input_tokens).toBe(5);
      expect(message.usage.output_tokens).toBe(5);
    });

    it('streams the same answer with the full event sequence', async () => {
      const events: string[] = [];
      const stream = client.messages.stream(ask('What is 12 + 30?'));
      stream.on('streamEvent', (event) => events.push(event.type));
      const message = await stream.finalMessage();
      expect(textOf(message)).toBe('12 + 30 = 42');
      expect(message.stop_reason).toBe('end_turn');
      expect(message.usage.input_tokens).toBe(5);
      expect(message.usage.output_tokens).toBe(5);
      expect(events[0]).toBe('message_start');
      expect(events[1]).toBe('content_block_start');
      expect(events.filter((e) => e === 'content_block_delta')).toHaveLength(5);
      expect(events.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    });

    it('echoes other text and counts the messages it saw', async () => {
      const message = await client.messages.create({
        model: MODEL,
        max_tokens: 256,
        system: 'You are terse.',
        messages: [
          { role: 'user', content: 'Hello there' },
          { role: 'assistant', content: 'Hi.' },
          { role: 'user', content: [{ type: 'text', text: '  Tell me about whales  ' }] },
        ],
      });
      expect(textOf(message)).toBe(
        'You said: "Tell me about whales". I have seen 3 messages in this conversation.',
      );
      // 3 (system) + 2 + 1 + 4 words.
      expect(message.usage.input_tokens).toBe(10);
    });

    it('truncates at max_tokens', async () => {
      const message = await client.messages.create(
        ask('Please repeat this long sentence', { max_tokens: 3 }),
      );
      expect(message.stop_reason).toBe('max_tokens');
      expect(message.usage.output_tokens).toBe(3);
      expect(textOf(message)).toBe('You said: "Please ');
    });

    it('uses fixedReply for every text reply', async () => {
      const fixed = await startFakeClaude({ fixedReply: 'Always this.' });
      try {
        const message = await clientFor(fixed).messages.create(ask('What is 1 + 1?'));
        expect(textOf(message)).toBe('Always this.');
      } finally {
        await fixed.close();
      }
    });
  });

  describe('tool use', () => {
    const question = 'What is 25 * 17?';

    async function roundTrip(stream: boolean): Promise<void> {
      const first = ask(question, { tools: [calculatorTool] });
      const toolTurn = stream
        ? await client.messages.stream(first).finalMessage()
        : await client.messages.create(first);
      expect(toolTurn.stop_reason).toBe('tool_use');
      expect(toolTurn.content[0]).toMatchObject({ type: 'text', text: 'Let me calculate that.' });
      const toolUse = toolTurn.content[1];
      if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use block');
      expect(toolUse.name).toBe('calculator');
      expect(toolUse.id).toMatch(/^toolu_fake_[0-9a-f]+$/);
      expect(toolUse.input).toEqual({ expression: '25 * 17' });

      const second: Anthropic.MessageCreateParamsNonStreaming = {
        ...first,
        messages: [
          ...first.messages,
          { role: 'assistant', content: toolTurn.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '425' }],
          },
        ],
      };
      const answer = stream
        ? await client.messages.stream(second).finalMessage()
        : await client.messages.create(second);
      expect(answer.stop_reason).toBe('end_turn');
      expect(textOf(answer)).toBe('The answer is 425.');
      expect(server.calls().map((c) => c.outcome)).toEqual(['tool_use', 'ok']);
    }

    it('round-trips non-streaming', () => roundTrip(false));
    it('round-trips streaming (input_json_delta)', () => roundTrip(true));

    it('reports a failed tool with its content', async () => {
      const answer = await client.messages.create({
        model: MODEL,
        max_tokens: 100,
        tools: [calculatorTool],
        messages: [
          { role: 'user', content: 'What is 1 / 0?' },
          {
            role: 'assistant',
            content: [
              {
                type: 'tool_use',
                id: 'toolu_1',
                name: 'calculator',
                input: { expression: '1 / 0' },
              },
            ],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 'toolu_1',
                is_error: true,
                content: 'division by zero',
              },
            ],
          },
        ],
      });
      expect(textOf(answer)).toBe('The calculator tool failed: division by zero.');
    });

    it('calls the tool a tool= / tool_input= directive names, with those arguments', async () => {
      const message = await client.messages
        .stream(
          ask('Use it [[fake tool=no_such_tool tool_input={"x":[1,2]}]]', {
            tools: [calculatorTool],
          }),
        )
        .finalMessage();
      expect(message.stop_reason).toBe('tool_use');
      const toolUse = message.content[1];
      if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use block');
      expect(toolUse).toMatchObject({ name: 'no_such_tool', input: { x: [1, 2] } });
      // With tool_choice none the directive is ignored and the model answers in text.
      const text = await client.messages.create(
        ask('Use it [[fake tool=calculator]]', {
          tools: [calculatorTool],
          tool_choice: { type: 'none' },
        }),
      );
      expect(text.stop_reason).toBe('end_turn');
    });

    it('refuses a tool_input= that is not a JSON object', async () => {
      const err = await rejectionOf(
        client.messages.create(ask('x [[fake tool=calculator tool_input=[1]]]')),
      );
      expect(err).toBeInstanceOf(BadRequestError);
    });

    it('does not call tools when tool_choice is none', async () => {
      const message = await client.messages.create(
        ask(question, { tools: [calculatorTool], tool_choice: { type: 'none' } }),
      );
      expect(message.stop_reason).toBe('end_turn');
      expect(textOf(message)).toBe('25 * 17 = 425');
    });
  });

  describe('directives', () => {
    it('strips the directive and applies reply and key', async () => {
      const message = await client.messages.create(
        ask('Hello [[fake key=my-conv reply="Quoted \\"reply\\" here"]] world'),
      );
      expect(textOf(message)).toBe('Quoted "reply" here');
      const calls = server.callsForKey('my-conv');
      expect(calls).toHaveLength(1);
      expect(calls[0]?.lastUserText).toBe('Hello world');
      expect(server.callsMatching('Hello world')).toHaveLength(1);
    });

    it('delays by latency_ms (non-streaming)', async () => {
      const started = Date.now();
      await client.messages.create(ask('Slow please [[fake latency_ms=250]]'));
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    });

    it('paces streaming with ttft_ms and tps', async () => {
      // 10 tokens per second: 100 ms between deltas.
      const started = Date.now();
      const stream = client.messages.stream(ask('one two three [[fake tps=10 ttft_ms=100]]'));
      let firstDeltaAt = 0;
      stream.on('text', () => {
        firstDeltaAt ||= Date.now();
      });
      const message = await stream.finalMessage();
      const elapsed = Date.now() - started;
      const deltas = message.usage.output_tokens;
      expect(deltas).toBeGreaterThan(5);
      expect(firstDeltaAt - started).toBeGreaterThanOrEqual(90);
      expect(elapsed).toBeGreaterThanOrEqual(90 + (deltas - 1) * 100 - 20);
    });

    it('paces non-streaming replies by tokens / tps', async () => {
      const started = Date.now();
      const message = await client.messages.create(ask('What is 2 + 2? [[fake tps=20]]'));
      expect(message.usage.output_tokens).toBe(5);
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    });

    it('rejects an unknown directive key with a 400 naming it', async () => {
      const err = await rejectionOf(client.messages.create(ask('x [[fake bogus=1]]')));
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).message).toContain('bogus');
    });
  });

  describe('scripted failures surface as SDK errors', () => {
    const cases: Array<[string, new (...args: never[]) => Error, number]> = [
      ['400', BadRequestError, 400],
      ['401', AuthenticationError, 401],
      ['403', PermissionDeniedError, 403],
      ['404', NotFoundError, 404],
      ['408', RequestTimeoutError, 408],
      ['409', ConflictError, 409],
      ['413', ContentTooLargeError, 413],
      ['422', UnprocessableEntityError, 422],
      ['500', InternalServerError, 500],
      ['502', InternalServerError, 502],
      ['503', ServiceUnavailableError, 503],
      ['529', OverloadedError, 529],
    ];
    it.each(cases)('fail=%s', async (step, errorClass, status) => {
      const err = await rejectionOf(
        client.messages.create(ask(`Step ${step} [[fake fail=${step}]]`)),
      );
      expect(err).toBeInstanceOf(errorClass);
      const apiError = err as APIError;
      expect(apiError.status).toBe(status);
      expect(apiError.requestID).toMatch(/^req_fake_\d+$/);
    });

    it('429 carries retry-after (default 1, or the scripted value)', async () => {
      const first = await rejectionOf(client.messages.create(ask('rl [[fake fail=429,429:5]]')));
      expect(first).toBeInstanceOf(RateLimitError);
      expect((first as RateLimitError).headers.get('retry-after')).toBe('1');
      expect((first as RateLimitError).type).toBe('rate_limit_error');
      const second = await rejectionOf(client.messages.create(ask('rl [[fake fail=429,429:5]]')));
      expect((second as RateLimitError).headers.get('retry-after')).toBe('5');
      expect(server.calls().map((c) => c.outcome)).toEqual(['rate_limited', 'rate_limited']);
    });

    it('529:3 is an overloaded_error with retry-after', async () => {
      const err = await rejectionOf(client.messages.create(ask('busy [[fake fail=529:3]]')));
      expect(err).toBeInstanceOf(InternalServerError);
      expect((err as APIError).type).toBe('overloaded_error');
      expect((err as APIError).headers?.get('retry-after')).toBe('3');
    });

    it('spend is a 429 mentioning the usage limit', async () => {
      const err = await rejectionOf(client.messages.create(ask('money [[fake fail=spend]]')));
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as APIError).message).toContain('API usage limits');
    });

    it('reset is a connection error (non-streaming)', async () => {
      const err = await rejectionOf(client.messages.create(ask('boom [[fake fail=reset]]')));
      expect(err).toBeInstanceOf(APIConnectionError);
      expect(server.calls()[0]).toMatchObject({
        outcome: 'reset',
        completed: false,
        aborted: false,
      });
    });

    it('reset mid-stream fails the stream after partial text', async () => {
      const stream = client.messages.stream(ask('boom now please [[fake fail=reset]]'));
      let text = '';
      stream.on('text', (delta) => {
        text += delta;
      });
      const err = await rejectionOf(stream.finalMessage());
      expect(err).toBeInstanceOf(Error);
      expect(text).toBe('You said: ');
      expect(server.calls()[0]).toMatchObject({ outcome: 'reset', stream: true, completed: false });
    });

    it('stream_error surfaces the SSE error event', async () => {
      const stream = client.messages.stream(ask('flaky [[fake fail=stream_error]]'));
      const err = await rejectionOf(stream.finalMessage());
      expect(err).toBeInstanceOf(APIError);
      expect((err as APIError).type).toBe('overloaded_error');
      expect(server.calls()[0]).toMatchObject({ outcome: 'overloaded', completed: false });
    });

    it('hang ends in the SDK timeout and the call is marked aborted', async () => {
      const err = await rejectionOf(
        client.messages.create(ask('sleepy [[fake fail=hang]]'), { timeout: 200 }),
      );
      expect(err).toBeInstanceOf(APIConnectionTimeoutError);
      await waitFor(() => server.calls()[0]?.aborted === true);
      expect(server.calls()[0]?.outcome).toBe('hang');
    });
  });

  describe('attempt counting', () => {
    it('fail=429,500 succeeds on the third attempt of the same conversation', async () => {
      const fake = await startFakeClaude({ failures: '429,500' });
      try {
        const c = clientFor(fake);
        const params = ask('Retry me');
        await expect(c.messages.create(params)).rejects.toBeInstanceOf(RateLimitError);
        await expect(c.messages.create(params)).rejects.toBeInstanceOf(InternalServerError);
        const message = await c.messages.create(params);
        expect(textOf(message)).toContain('Retry me');

        const key = fake.calls()[0]?.key ?? '';
        expect(key).toMatch(/^[0-9a-f]{16}$/);
        const calls = fake.callsForKey(key);
        expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
        expect(calls.map((call) => call.outcome)).toEqual(['rate_limited', 'server_error', 'ok']);
        expect(calls[2]).toMatchObject({ completed: true, aborted: false, status: 200 });

        // A different conversation has its own counter, so it starts with the first step again.
        await expect(c.messages.create(ask('Another one'))).rejects.toBeInstanceOf(RateLimitError);
      } finally {
        await fake.close();
      }
    });

    it('lets the SDK retry its way through a script', async () => {
      const c = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 2 });
      const message = await c.messages.create(ask('Eventually [[fake fail=529:0,500]]'));
      expect(textOf(message)).toContain('Eventually');
      expect(server.calls().map((call) => call.attempt)).toEqual([1, 2, 3]);
    });
  });

  describe('random faults', () => {
    async function outcomes(seed: number): Promise<string[]> {
      const fake = await startFakeClaude({
        seed,
        faultRates: { rateLimited: 0.3, overloaded: 0.2, serverError: 0.1, retryAfterS: 2 },
      });
      try {
        const c = clientFor(fake);
        for (let i = 0; i < 40; i++) {
          await c.messages.create(ask(`chaos ${i}`)).catch((err: unknown) => {
            if (!(err instanceof APIError)) throw err;
            const apiError = err as APIError;
            if (apiError.status === 429) expect(apiError.headers?.get('retry-after')).toBe('2');
          });
        }
        return fake.calls().map((call) => call.outcome);
      } finally {
        await fake.close();
      }
    }

    it('are reproducible for a seed and hit every configured kind', async () => {
      const first = await outcomes(42);
      expect(await outcomes(42)).toEqual(first);
      for (const kind of ['ok', 'rate_limited', 'overloaded', 'server_error']) {
        expect(first).toContain(kind);
      }
      expect(first).not.toContain('reset');
      expect(await outcomes(7)).not.toEqual(first);
    });
  });

  describe('validation', () => {
    it('401 without an API key', async () => {
      const res = await post(server, '/v1/messages', JSON.stringify(ask('hi')), {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({
        type: 'error',
        error: { type: 'authentication_error', message: expect.any(String) as unknown },
      });
      expect(res.headers.get('request-id')).toMatch(/^req_fake_\d+$/);
      expect(server.calls()[0]?.outcome).toBe('unauthorized');
    });

    it('accepts a bearer token instead of x-api-key', async () => {
      const res = await post(server, '/v1/messages?beta=true', JSON.stringify(ask('hi')), {
        authorization: 'Bearer abc',
      });
      expect(res.status).toBe(200);
    });

    it('400 naming the offending field', async () => {
      const body = { model: MODEL, max_tokens: 0, messages: [{ role: 'robot', content: 'x' }] };
      const res = await post(server, '/v1/messages', JSON.stringify(body));
      expect(res.status).toBe(400);
      const message = (res.json as { error: { type: string; message: string } }).error;
      expect(message.type).toBe('invalid_request_error');
      expect(message.message).toContain('max_tokens');
      expect(message.message).toContain('messages.0.role');
    });

    it('400 for malformed JSON and for a bad content block', async () => {
      const bad = await post(server, '/v1/messages', '{"model":');
      expect(bad.status).toBe(400);
      const block = await post(
        server,
        '/v1/messages',
        JSON.stringify({
          model: MODEL,
          max_tokens: 10,
          messages: [{ role: 'user', content: [{ type: 'text' }] }],
        }),
      );
      expect(block.status).toBe(400);
      expect(JSON.stringify(block.json)).toContain('messages.0.content.0.text');
    });

    it('surfaces as BadRequestError through the SDK', async () => {
      const err = await rejectionOf(
        client.messages.create({ model: MODEL, max_tokens: 10, messages: [] }),
      );
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as Error).message).toContain('messages');
    });

    it('404 not_found_error for unknown routes', async () => {
      const res = await fetch(`${server.url}/v1/nope`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    });

    it('works without a key when requireApiKey is false', async () => {
      const open = await startFakeClaude({ requireApiKey: false });
      try {
        const res = await fetch(`${open.url}/v1/messages`, {
          method: 'POST',
          body: JSON.stringify(ask('hi')),
        });
        expect(res.status).toBe(200);
      } finally {
        await open.close();
      }
    });
  });

  describe('inspection endpoints', () => {
    it('GET /_fake/calls, POST /_fake/reset and GET /healthz', async () => {
      await client.messages.create(ask('inspect me'));
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);

      const res = await fetch(`${server.url}/_fake/calls`);
      const { calls } = (await res.json()) as { calls: Array<Record<string, unknown>> };
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({
        attempt: 1,
        outcome: 'ok',
        completed: true,
        stream: false,
        model: MODEL,
        lastUserText: 'inspect me',
      });
      expect(typeof calls[0]?.['at']).toBe('string');

      const filtered = await fetch(`${server.url}/_fake/calls?match=nothing-like-this`);
      expect(((await filtered.json()) as { calls: unknown[] }).calls).toHaveLength(0);

      const reset = await post(server, '/_fake/reset', '');
      expect(reset.status).toBe(200);
      expect(server.calls()).toHaveLength(0);
    });

    it('keeps only maxCallLog calls, newest last', async () => {
      const small = await startFakeClaude({ maxCallLog: 2 });
      try {
        const c = clientFor(small);
        for (const text of ['a1', 'a2', 'a3']) await c.messages.create(ask(text));
        expect(small.calls().map((call) => call.lastUserText)).toEqual(['a2', 'a3']);
      } finally {
        await small.close();
      }
    });
  });

  describe('client abort', () => {
    it('marks a stream aborted when the client goes away mid-stream', async () => {
      const stream = client.messages.stream(ask('a b c d e f g h i j k l [[fake tps=20]]'));
      await new Promise<void>((resolve) => stream.once('text', () => resolve()));
      stream.abort();
      await stream.done().catch(() => undefined);
      await waitFor(() => server.calls()[0]?.aborted === true);
      expect(server.calls()[0]).toMatchObject({ completed: false, aborted: true, stream: true });
    });
  });

  describe('close', () => {
    it('closes with a hanging request open', async () => {
      const fake = await startFakeClaude({ failures: 'hang' });
      const pending = rejectionOf(clientFor(fake).messages.create(ask('hang forever')));
      await waitFor(() => fake.calls().length === 1);
      await fake.close();
      expect(await pending).toBeInstanceOf(APIConnectionError);
    });
  });
});

describe('fakeClaudeOptionsFromEnv', () => {
  it('reads every variable', () => {
    expect(
      fakeClaudeOptionsFromEnv({
        FAKE_CLAUDE_LATENCY_MS: '10',
        FAKE_CLAUDE_TTFT_MS: '20',
        FAKE_CLAUDE_TPS: '30',
        FAKE_CLAUDE_REPLY: 'hi',
        FAKE_CLAUDE_FAILURES: '429,ok',
        FAKE_CLAUDE_RATE_429: '0.1',
        FAKE_CLAUDE_RATE_529: '0.2',
        FAKE_CLAUDE_RATE_500: '0.3',
        FAKE_CLAUDE_RATE_RESET: '0.05',
        FAKE_CLAUDE_RETRY_AFTER_S: '2',
        FAKE_CLAUDE_SEED: '9',
      }),
    ).toEqual({
      latencyMs: 10,
      ttftMs: 20,
      tokensPerSecond: 30,
      fixedReply: 'hi',
      failures: '429,ok',
      seed: 9,
      faultRates: {
        rateLimited: 0.1,
        overloaded: 0.2,
        serverError: 0.3,
        reset: 0.05,
        retryAfterS: 2,
      },
    });
  });

  it('treats unset and blank variables as defaults', () => {
    expect(fakeClaudeOptionsFromEnv({ FAKE_CLAUDE_TPS: ' ', OTHER: 'x' })).toEqual({});
  });

  it.each([
    ['FAKE_CLAUDE_LATENCY_MS', 'soon'],
    ['FAKE_CLAUDE_TPS', '-1'],
    ['FAKE_CLAUDE_RATE_429', '1.5'],
    ['FAKE_CLAUDE_FAILURES', '429,teapot'],
    ['FAKE_CLAUDE_SEED', '1.5'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => fakeClaudeOptionsFromEnv({ [name]: value })).toThrow(name);
  });

  it('rejects invalid options passed to startFakeClaude', async () => {
    await expect(startFakeClaude({ failures: 'nope' })).rejects.toThrow('failures');
    await expect(startFakeClaude({ faultRates: { reset: 2 } })).rejects.toThrow('faultRates.reset');
  });
});
