/**
 * Payload encryption end to end on the real stack: with PAYLOAD_ENCRYPTION_KEYS set, Temporal's
 * history (read by a client without the codec, and by the `temporal` CLI) holds no plaintext
 * prompt, reply or failure message, while the API and the authenticated codec server return the
 * plaintext; a job sealed under an old key still reads after rotation.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Connection, Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { KEY_ID_METADATA } from '../src/security/payload-codec';
import { isFinished, pollUntil, postJson, requestJson, type JobBody } from './helpers/http';
import { startTestStack, type TestStack } from './helpers/stack';
import { connectTestClient, testTemporal } from './helpers/temporal';

const K1 = `k1:${randomBytes(32).toString('base64')}`;
const K2 = `k2:${randomBytes(32).toString('base64')}`;
const CODEC_TOKEN = `codec-${randomUUID()}`;
const UI_ORIGIN = 'http://127.0.0.1:8233';

let stack: TestStack;
let stackClosed = false;
/** A client with the default data converter: it sees exactly what Temporal stores. */
let plain: { client: Client; connection: Connection };

beforeAll(async () => {
  stack = await startTestStack({
    env: {
      PAYLOAD_ENCRYPTION_KEYS: K1,
      CODEC_SERVER_TOKEN: CODEC_TOKEN,
      CODEC_CORS_ORIGIN: UI_ORIGIN,
    },
  });
  plain = await connectTestClient();
});

afterAll(async () => {
  if (!stackClosed) await stack.close();
  await plain.connection.close();
});

const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** Every string in a protobuf object tree, bytes decoded as UTF-8 (where JSON payloads live). */
function allText(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(utf8(value));
  else if (Array.isArray(value)) for (const item of value) allText(item, out);
  else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) allText(item, out);
  }
  return out;
}

/** Every payload (anything with `metadata.encoding`) in a protobuf object tree. */
function allPayloads(value: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(value)) for (const item of value) allPayloads(item, out);
  else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const metadata = (value as Payload).metadata;
    if (metadata && metadata.encoding instanceof Uint8Array) out.push(value);
    else for (const item of Object.values(value)) allPayloads(item, out);
  }
  return out;
}

const ENCRYPTED = 'binary/encrypted';
const keyId = (payload: Payload) => utf8(payload.metadata![KEY_ID_METADATA] ?? new Uint8Array());

/** A history's payloads: sealed by our codec, and left clear (not passed through codecs). */
function splitPayloads(value: unknown): { sealed: Payload[]; clear: Payload[] } {
  const payloads = allPayloads(value);
  const sealed = payloads.filter((payload) => utf8(payload.metadata!.encoding!) === ENCRYPTED);
  return { sealed, clear: payloads.filter((payload) => !sealed.includes(payload)) };
}

/** Every Temporal failure (anything with a `message` and failure info) in a protobuf tree. */
function allFailures(value: unknown, out: Record<string, unknown>[] = []): typeof out {
  if (Array.isArray(value)) for (const item of value) allFailures(item, out);
  else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const record = value as Record<string, unknown>;
    if (
      typeof record.message === 'string' &&
      ('applicationFailureInfo' in record || 'encodedAttributes' in record || 'cause' in record)
    ) {
      out.push(record);
    }
    for (const item of Object.values(record)) allFailures(item, out);
  }
  return out;
}

/** The raw history as Temporal stores it, read without any codec. */
async function rawHistory(jobId: string) {
  return plain.client.workflow.getHandle(jobId).fetchHistory();
}

/** Payloads in proto3 JSON, as the Web UI and the CLI send them to a codec server. */
const toProtoJson = (payloads: Payload[]) => ({
  payloads: payloads.map((payload) => ({
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v).toString('base64'),
      ]),
    ),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  })),
});

interface CodecBody {
  payloads: { metadata: Record<string, string>; data: string }[];
}

function codecCall(
  apiUrl: string,
  op: 'encode' | 'decode',
  body: unknown,
  headers: Record<string, string> = {},
) {
  return requestJson<CodecBody & { error?: string; details?: { field: string }[] }>(
    `${apiUrl}/codec/${op}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    },
  );
}

const authorised = () => ({
  authorization: `Bearer ${CODEC_TOKEN}`,
  'x-namespace': testTemporal().namespace,
});

async function runJob(apiUrl: string, message: string): Promise<JobBody> {
  const res = await postJson<{ job_id: string }>(`${apiUrl}/chat`, {
    user_id: 'crypto-user',
    message,
  });
  expect(res.status).toBe(202);
  return pollUntil<JobBody>(`${apiUrl}/chat/${res.body.job_id}`, isFinished);
}

/** Every string of the CLI's JSON output, plus each one's base64 decoding (bytes are base64). */
function cliText(stdout: string): string {
  const strings = allText(JSON.parse(stdout));
  return [...strings, ...strings.map((text) => Buffer.from(text, 'base64').toString('utf8'))].join(
    '\n',
  );
}

/** The `temporal` CLI of the test server (or the project's). */
function temporalCli(): string {
  const binary =
    testTemporal().binaryPath ?? path.resolve(__dirname, '..', '.temporal', 'bin', 'temporal');
  if (!existsSync(binary)) throw new Error(`no temporal CLI at ${binary}`);
  return binary;
}

/** Letters only: the fake Claude answers the first arithmetic it finds in the prompt. */
const secret = `secret-${[...randomBytes(12)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
let completed: JobBody;

/** Fields of the SDK's local-activity marker data: bookkeeping only, no payload of ours. */
const LOCAL_ACTIVITY_MARKER_KEYS = new Set([
  'seq',
  'attempt',
  'activity_id',
  'activity_type',
  'complete_time',
  'backoff',
  'original_schedule_time',
]);

describe('with PAYLOAD_ENCRYPTION_KEYS set', () => {
  beforeAll(async () => {
    completed = await runJob(stack.apiUrl, `${secret}: what is 7919 * 104729?`);
  });

  it('the API returns the plaintext reply', () => {
    expect(completed.status).toBe('completed');
    expect(completed.response).toContain('829348951');
  });

  it('the history read without the codec holds no plaintext prompt or reply', async () => {
    const history = await rawHistory(completed.job_id);
    const text = allText(history).join('\n');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(completed.response!);
    expect(text).not.toContain('829348951');
    // Every payload with data of ours is sealed under the active key: input, result, memo,
    // query and activity payloads, heartbeats.
    const { sealed, clear } = splitPayloads(history);
    expect(sealed.length).toBeGreaterThanOrEqual(4);
    for (const payload of sealed) expect(keyId(payload)).toBe('k1');
    // What stays clear is what Temporal itself must read: search attributes (indexed by the
    // server), the SDK's patch markers, and the SDK's bookkeeping of a local activity (its id,
    // type, attempt and times; the activity's input is never stored and its result is sealed).
    for (const payload of clear) {
      const data = JSON.parse(utf8(payload.data!)) as unknown;
      const searchAttribute = payload.metadata!.type !== undefined;
      const patchMarker = typeof data === 'object' && data !== null && 'deprecated' in data;
      const localActivityMarker =
        typeof data === 'object' &&
        data !== null &&
        Object.keys(data).every((key) => LOCAL_ACTIVITY_MARKER_KEYS.has(key));
      expect({ data, allowed: searchAttribute || patchMarker || localActivityMarker }).toEqual({
        data,
        allowed: true,
      });
    }
  });

  it('workflow id and search attributes carry no prompt text', async () => {
    const description = await stack.client.workflow.getHandle(completed.job_id).describe();
    expect(description.workflowId).toBe(completed.job_id);
    expect(description.workflowId).toMatch(/^[0-9a-f-]{36}$/);
    const attributes = JSON.stringify(description.typedSearchAttributes);
    expect(attributes).toContain('crypto-user');
    expect(attributes).not.toContain(secret);
    expect(
      allText(description.raw.workflowExecutionInfo?.searchAttributes).join('\n'),
    ).not.toContain(secret);
  });

  it('failure messages are encoded in the history too, and read in plain text through the API', async () => {
    const failed = await runJob(stack.apiUrl, `${secret} fails [[fake fail=400]]`);
    expect(failed.status).toBe('failed');
    expect(failed.error?.type).toBe('ClaudeInvalidRequest');
    expect(failed.error?.message).toMatch(/400/);
    const history = await rawHistory(failed.job_id);
    const failures = allFailures(history);
    // The activity's failure, the workflow's failure and its cause.
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const failure of failures) {
      expect(failure.message).toBe('Encoded failure');
      expect(failure.stackTrace ?? '').toBe('');
    }
    const text = allText(history).join('\n');
    expect(text).not.toContain(failed.error!.message);
    expect(text).not.toContain(secret);
  });

  it('the last failure of a retrying job reads in plain text through the API', async () => {
    const res = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
      user_id: 'crypto-user',
      message: `${secret} retries [[fake fail=429:3]]`,
    });
    const retrying = await pollUntil<JobBody>(
      `${stack.apiUrl}/chat/${res.body.job_id}`,
      (job) => job.error !== undefined || isFinished(job),
    );
    expect(retrying.status).toBe('processing');
    expect(retrying.error?.type).toBe('ClaudeRateLimited');
    expect(retrying.error?.message).toMatch(/429/);
    expect(retrying.error?.message).not.toBe('Encoded failure');
    const done = await pollUntil<JobBody>(`${stack.apiUrl}/chat/${res.body.job_id}`, isFinished);
    expect(done.status).toBe('completed');
  });

  it('the codec server decodes the history for an authorised caller', async () => {
    const payloads = allPayloads(await rawHistory(completed.job_id));
    const res = await codecCall(stack.apiUrl, 'decode', toProtoJson(payloads), authorised());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.payloads).toHaveLength(payloads.length);
    const decoded = res.body.payloads.map((p) => Buffer.from(p.data, 'base64').toString('utf8'));
    expect(decoded.join('\n')).toContain(secret);
    expect(decoded.join('\n')).toContain(completed.response!);
    const encodings = res.body.payloads.map((p) =>
      Buffer.from(p.metadata.encoding!, 'base64').toString(),
    );
    expect(encodings).toContain('json/plain');
    expect(encodings).not.toContain(ENCRYPTED);
  });

  it('the codec server encodes, and its output decodes back', async () => {
    const original = {
      payloads: [
        {
          metadata: { encoding: Buffer.from('json/plain').toString('base64') },
          data: Buffer.from(JSON.stringify({ hello: secret })).toString('base64'),
        },
      ],
    };
    const encoded = await codecCall(stack.apiUrl, 'encode', original, authorised());
    expect(encoded.status).toBe(200);
    const sealed = encoded.body.payloads[0]!;
    expect(Buffer.from(sealed.metadata[KEY_ID_METADATA]!, 'base64').toString()).toBe('k1');
    expect(Buffer.from(sealed.data, 'base64').toString()).not.toContain(secret);
    const decoded = await codecCall(stack.apiUrl, 'decode', encoded.body, authorised());
    expect(decoded.body).toEqual(original);
    // proto3 JSON omits empty lists: `{}` is zero payloads.
    expect((await codecCall(stack.apiUrl, 'decode', {}, authorised())).body).toEqual({
      payloads: [],
    });
  });

  it('the codec server refuses a missing or wrong token (401) and another namespace (400)', async () => {
    const body = toProtoJson(allPayloads(await rawHistory(completed.job_id)));
    const namespace = { 'x-namespace': testTemporal().namespace };
    for (const headers of [
      namespace,
      { ...namespace, authorization: `Bearer ${CODEC_TOKEN}x` },
      { ...namespace, authorization: `Bearer ${CODEC_TOKEN.slice(0, -1)}` },
      { ...namespace, authorization: CODEC_TOKEN },
    ]) {
      for (const op of ['encode', 'decode'] as const) {
        const res = await codecCall(stack.apiUrl, op, body, headers);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
        expect(res.body.error).toBe('unauthorized');
        expect(JSON.stringify(res.body)).not.toContain(secret);
      }
    }
    const other = await codecCall(stack.apiUrl, 'decode', body, {
      ...authorised(),
      'x-namespace': 'someone-else',
    });
    expect(other.status).toBe(400);
    expect(other.body.details?.[0]?.field).toBe('X-Namespace');
    expect(JSON.stringify(other.body)).not.toContain(secret);
  });

  it('the codec server validates bodies, naming the field', async () => {
    const bad = await codecCall(
      stack.apiUrl,
      'decode',
      { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'not base64!' }] },
      authorised(),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([{ field: 'payloads.0.data', message: 'must be base64' }]);
    const notList = await codecCall(stack.apiUrl, 'encode', { payloads: 'x' }, authorised());
    expect(notList.status).toBe(400);
    expect(notList.body.details?.[0]?.field).toBe('payloads');
    const [sealed] = splitPayloads(await rawHistory(completed.job_id)).sealed;
    const tampered = toProtoJson([sealed!]);
    const data = Buffer.from(tampered.payloads[0]!.data, 'base64');
    data[20] = data[20]! ^ 1;
    tampered.payloads[0]!.data = data.toString('base64');
    const undecodable = await codecCall(stack.apiUrl, 'decode', tampered, authorised());
    expect(undecodable.status).toBe(400);
    expect(undecodable.body.error).toBe('undecodable_payload');
    expect(undecodable.body.details).toEqual([
      {
        field: 'payloads.0',
        message: 'encrypted payload (key "k1") failed authentication: tampered or wrong key',
      },
    ]);
    const text = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'POST',
      headers: { ...authorised(), 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
  });

  it('CORS admits exactly the configured UI origin, with credentials', async () => {
    const preflight = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const allowedHeaders = preflight.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const header of ['authorization', 'content-type', 'x-namespace']) {
      expect(allowedHeaders).toContain(header);
    }
    const foreign = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const fromUi = await codecCall(
      stack.apiUrl,
      'decode',
      {},
      { ...authorised(), origin: UI_ORIGIN },
    );
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    // Even a refusal carries CORS headers for the UI, so it can show the reason.
    const refusedFromUi = await codecCall(stack.apiUrl, 'decode', {}, { origin: UI_ORIGIN });
    expect(refusedFromUi.status).toBe(401);
    expect(refusedFromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const fromElsewhere = await codecCall(
      stack.apiUrl,
      'decode',
      {},
      { ...authorised(), origin: 'http://evil.example' },
    );
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('`temporal workflow show` shows no plaintext, unless pointed at the codec server', async () => {
    const { address, namespace } = testTemporal();
    const args = ['workflow', 'show', '-w', completed.job_id, '--address', address];
    args.push('--namespace', namespace, '-o', 'json');
    const run = promisify(execFile);
    const without = await run(temporalCli(), args, { maxBuffer: 16 * 1024 * 1024 });
    const shown = cliText(without.stdout);
    expect(shown).toContain(completed.job_id);
    expect(shown).toContain(ENCRYPTED);
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain('829348951');
    const withCodec = await run(
      temporalCli(),
      [
        ...args,
        '--codec-endpoint',
        `${stack.apiUrl}/codec`,
        '--codec-auth',
        `Bearer ${CODEC_TOKEN}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    expect(cliText(withCodec.stdout)).toContain(secret);
    expect(cliText(withCodec.stdout)).toContain('829348951');
  });
});

describe('key rotation', () => {
  it('a job sealed under k1 still reads after a restart with [k2, k1]; new jobs use k2', async () => {
    await stack.close();
    stackClosed = true;
    const rotated = await startTestStack({ env: { PAYLOAD_ENCRYPTION_KEYS: `${K2},${K1}` } });
    try {
      const old = await requestJson<JobBody>(`${rotated.apiUrl}/chat/${completed.job_id}`);
      expect(old.status).toBe(200);
      expect(old.body.status).toBe('completed');
      expect(old.body.response).toBe(completed.response);
      const oldKeys = splitPayloads(await rawHistory(completed.job_id)).sealed.map(keyId);
      expect(new Set(oldKeys)).toEqual(new Set(['k1']));

      const fresh = await runJob(rotated.apiUrl, `${secret}: what is 12 * 12?`);
      expect(fresh.status).toBe('completed');
      expect(fresh.response).toContain('144');
      const freshHistory = await rawHistory(fresh.job_id);
      const freshKeys = splitPayloads(freshHistory).sealed.map(keyId);
      expect(new Set(freshKeys)).toEqual(new Set(['k2']));
      expect(allText(freshHistory).join('\n')).not.toContain(secret);

      // No CODEC_SERVER_TOKEN on this API: the codec endpoints do not exist.
      const codec = await codecCall(rotated.apiUrl, 'decode', {}, authorised());
      expect(codec.status).toBe(404);
    } finally {
      await rotated.close();
    }
  });
});
