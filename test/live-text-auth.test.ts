/**
 * Private internals: a worker's live-text stream serves only reads the API signed with
 * STREAM_SECRET (401 and no text otherwise), the API's SSE endpoint still streams live text
 * through it, and a production API or activity worker refuses to start without the secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import {
  assertStreamSecret,
  randomStreamSecret,
  streamAuthorization,
  verifyStreamAuthorization,
} from '../src/streaming/stream-auth';
import { StreamHub, streamKey } from '../src/streaming/stream-hub';
import { startStreamServer, streamUrl } from '../src/streaming/stream-server';
import { attemptStreamUrl } from '../src/streaming/worker-identity';
import { getFreePort } from '../src/temporal/free-port';
import { postJson } from './helpers/http';
import { killAllSpawned, spawnEntryPoint, type SpawnedProcess } from './helpers/processes';
import { readEvents } from './helpers/sse';
import { readSse } from '../src/streaming/sse-reader';
import { spawnActivityWorker, startTestStack, type TestStack } from './helpers/stack';

const secret = randomStreamSecret();

describe('stream tokens', () => {
  const path = '/streams/job-1/0/1';

  it('accept the stream they were signed for, until they expire', () => {
    const now = Date.now();
    const header = streamAuthorization(secret, path, now);
    expect(header).toMatch(/^Bearer v1\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyStreamAuthorization(secret, path, header, now)).toBe(true);
    expect(verifyStreamAuthorization(secret, path, header, now + 61_000)).toBe(false);
  });

  it('refuse another secret, another stream, a changed expiry and garbage', () => {
    const header = streamAuthorization(secret, path);
    expect(verifyStreamAuthorization(randomStreamSecret(), path, header)).toBe(false);
    expect(verifyStreamAuthorization(secret, '/streams/job-2/0/1', header)).toBe(false);
    const [, expiry, mac] = header.split('.');
    const later = `Bearer v1.${Number(expiry) + 30}.${mac}`;
    expect(verifyStreamAuthorization(secret, path, later)).toBe(false);
    // Far-future tokens are refused even when correctly signed.
    const farFuture = streamAuthorization(secret, path, Date.now() + 3_600_000);
    expect(verifyStreamAuthorization(secret, path, farFuture)).toBe(false);
    for (const bad of [undefined, '', `Bearer ${secret}`, 'Bearer v1.1.x', header.slice(0, -1)])
      expect(verifyStreamAuthorization(secret, path, bad)).toBe(false);
  });
});

describe('a signed stream server', () => {
  it('answers an unsigned or wrongly signed read with 401 and no text, a signed one with text', async () => {
    const hub = new StreamHub();
    const server = await startStreamServer({ hub, host: '127.0.0.1', port: 0, secret });
    try {
      const key = streamKey('job-x', 0, 1);
      hub.open(key);
      hub.append(key, 'private words of a user');
      hub.end(key);
      const url = streamUrl(server.url, 'job-x', 0, 1);
      const pathname = new URL(url).pathname;
      for (const authorization of [
        undefined,
        `Bearer ${secret}`,
        streamAuthorization(randomStreamSecret(), pathname),
        streamAuthorization(secret, new URL(streamUrl(server.url, 'job-y', 0, 1)).pathname),
      ]) {
        const res = await fetch(url, authorization ? { headers: { authorization } } : {});
        const body = await res.text();
        expect({ status: res.status, body }).toEqual({
          status: 401,
          body: '{"error":"unauthorized"}',
        });
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
      const signed = await fetch(url, {
        headers: { authorization: streamAuthorization(secret, pathname) },
      });
      expect(signed.status).toBe(200);
      expect(await signed.text()).toContain('private words of a user');
    } finally {
      await server.close();
    }
  });
});

describe('configuration', () => {
  const base = { LOG_LEVEL: 'silent' };
  const problem = (env: Record<string, string>, role: 'api' | 'activities') => {
    try {
      assertStreamSecret(loadConfig({ ...base, ...env }), role);
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).issues.map((issue) => issue.variable);
    }
  };

  it('binds worker ports to loopback unless told otherwise', () => {
    const config = loadConfig(base);
    expect(config.agent.streamHost).toBe('127.0.0.1');
    expect(config.worker.healthHost).toBe('127.0.0.1');
    expect(config.observability.metricsHost).toBe('127.0.0.1');
    expect(config.http.host).toBe('0.0.0.0');
  });

  it('requires the secret in production, and beyond loopback anywhere', () => {
    expect(problem({ NODE_ENV: 'production' }, 'api')).toEqual(['STREAM_SECRET']);
    expect(problem({ NODE_ENV: 'production' }, 'activities')).toEqual(['STREAM_SECRET']);
    expect(problem({ NODE_ENV: 'production', STREAM_SECRET: secret }, 'api')).toBeUndefined();
    expect(problem({}, 'api')).toBeUndefined();
    expect(problem({}, 'activities')).toBeUndefined();
    expect(problem({ STREAM_HOST: '0.0.0.0' }, 'activities')).toEqual(['STREAM_SECRET']);
    expect(problem({ STREAM_HOST: '0.0.0.0', STREAM_SECRET: secret }, 'activities')).toBe(
      undefined,
    );
  });

  it('reads STREAM_SECRET_FILE and rejects short or doubly configured secrets', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-fleet-stream-secret-'));
    try {
      const file = path.join(dir, 'secret');
      writeFileSync(file, `${secret}\n`);
      expect(loadConfig({ ...base, STREAM_SECRET_FILE: file }).agent.streamSecret).toBe(secret);
      writeFileSync(file, 'short');
      expect(() => loadConfig({ ...base, STREAM_SECRET_FILE: file })).toThrow(/STREAM_SECRET_FILE/);
      expect(() => loadConfig({ ...base, STREAM_SECRET: 'replace-me' })).toThrow(/STREAM_SECRET/);
      expect(() =>
        loadConfig({ ...base, STREAM_SECRET: secret, STREAM_SECRET_FILE: file }),
      ).toThrow(/STREAM_SECRET_FILE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the real API entry point refuses to start in production without it', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', PORT: '0' };
    delete env.STREAM_SECRET;
    delete env.STREAM_SECRET_FILE;
    const api = spawnEntryPoint('api', [], env);
    expect(await api.exited()).toEqual({ code: 1, signal: null });
    expect(api.output()).toMatch(/api: failed to start: .*STREAM_SECRET: required when NODE_ENV/);
  });
});

describe('live text from a real activity-worker process', () => {
  let stack: TestStack;
  let worker: SpawnedProcess;

  beforeAll(async () => {
    // A long heartbeat timeout: no model call of this block lasts a heartbeat interval.
    stack = await startTestStack({
      inProcessActivities: false,
      env: { CLAUDE_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    worker = await spawnActivityWorker(stack, { STREAM_PORT: String(await getFreePort()) });
  });

  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited();
    await stack?.close();
    killAllSpawned();
  });

  /**
   * The running model call of `jobId` as the server reports it: the URL of its live text on the
   * stream server its worker's identity names (what the API reads), and its heartbeat details.
   */
  async function runningCall(
    jobId: string,
  ): Promise<{ url: string; identity: string; heartbeatDetails: number }> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const description = await stack.client.workflow.getHandle(jobId).describe();
      for (const pending of description.raw.pendingActivities ?? []) {
        const identity = pending.lastWorkerIdentity ?? '';
        const url = attemptStreamUrl(identity, jobId, 0, pending.attempt ?? 1);
        if (url) {
          return {
            url,
            identity,
            heartbeatDetails: pending.heartbeatDetails?.payloads?.length ?? 0,
          };
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no running model call of ${jobId} on a worker naming its stream server`);
  }

  it("finds a call's live text through the worker identity, with no heartbeat to announce it", async () => {
    const accepted = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
      user_id: 'stream-identity',
      message: 'Stream this reply slowly, word by word, to the API [[fake tps=8 ttft_ms=300]]',
    });
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.job_id;
    const events = readEvents(`${stack.apiUrl}/chat/${jobId}/events`);
    const running = await runningCall(jobId);
    // `activities:<pid>@<host> <stream base URL>`: readable, and the server records it per attempt.
    expect(running.identity).toMatch(/^activities:\d+@\S+ http:\/\/127\.0\.0\.1:\d+$/);
    // Once the model is streaming (its first text read straight from the worker, signed)…
    const path = new URL(running.url).pathname;
    const live = await fetch(running.url, {
      headers: { authorization: streamAuthorization(stack.env.STREAM_SECRET!, path) },
    });
    const messages = readSse(live.body!);
    const first = await messages.next();
    await messages.return(undefined);
    expect(first.value).toMatchObject({ event: 'message' });
    // …the attempt has still sent no heartbeat: the heartbeat timeout is 60 s here, so the first
    // beat is due 20 s after the start, and the call (about 3 s) ends before it. Nothing was sent
    // to tell the API where the stream is.
    expect((await runningCall(jobId)).heartbeatDetails).toBe(0);
    const all = await events;
    const done = all[all.length - 1]!;
    expect(done.event).toBe('done');
    const deltas = all.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((e) => e.data.text).join('')).toBe(
      (done.data as { response?: string }).response,
    );
  });

  it('refuses an unsigned read with 401 while the API streams the same call live', async () => {
    const accepted = await postJson<{ job_id: string }>(`${stack.apiUrl}/chat`, {
      user_id: 'stream-auth',
      message: 'Stream this reply slowly, word by word, to the API [[fake tps=8 ttft_ms=300]]',
    });
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.job_id;
    const events = readEvents(`${stack.apiUrl}/chat/${jobId}/events`);
    const { url } = await runningCall(jobId);
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const unsigned = await fetch(url);
    const refused = await unsigned.text();
    expect({ status: unsigned.status, refused }).toEqual({
      status: 401,
      refused: '{"error":"unauthorized"}',
    });
    const all = await events;
    const done = all[all.length - 1]!;
    expect(done.event).toBe('done');
    const response = (done.data as { response?: string }).response!;
    expect(response).toMatch(/^You said: "Stream this reply slowly/);
    // More than one delta: the text came live from the worker (signed), not only from the
    // workflow's durable result at the end.
    const deltas = all.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((e) => e.data.text).join('')).toBe(response);
  });
});
