/**
 * The HTTP server: routing, request ids, body limits, the inspection endpoints and clean shutdown.
 * Built on `node:http` directly because benchmarks drive it at hundreds of requests per second.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';

import { AttemptCounter } from './attempt-counter';
import { CallLog } from './call-log';
import { type FakeState, handleMessages, hasApiKey, newCall } from './messages-handler';
import { RateLimiter } from './rate-limits';
import { resolveOptions } from './options';
import { seededRandom } from './prng';
import { sendError, sendJson } from './responder';
import {
  type FakeCall,
  type FakeClaudeListenOptions,
  type FakeClaudeOptions,
  type FakeClaudeServer,
} from './types';

/** The real API rejects bodies over 32 MB with 413; so does the fake. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

type BodyResult = { kind: 'ok'; body: string } | { kind: 'too_large' } | { kind: 'failed' };

function readBody(req: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return settle({ kind: 'too_large' });
      chunks.push(chunk);
    });
    req.on('end', () => settle({ kind: 'ok', body: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => settle({ kind: 'failed' }));
    req.on('close', () => settle({ kind: 'failed' }));
  });
}

function splitUrl(url: string | undefined): { path: string; query: URLSearchParams } {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0
    ? { path: raw, query: new URLSearchParams() }
    : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

/**
 * Start a fake Anthropic Messages API.
 *
 * @param options - behaviour (latency, failures, ...); validated, throws on invalid values.
 * @param listen - port (0 = ephemeral, the default) and host (default `127.0.0.1`).
 * @returns the running server; call {@link FakeClaudeServer.close} when done.
 */
export async function startFakeClaude(
  options: FakeClaudeOptions = {},
  listen: FakeClaudeListenOptions = {},
): Promise<FakeClaudeServer> {
  const resolved = resolveOptions(options);
  const state: FakeState = {
    options: resolved,
    log: new CallLog(resolved.maxCallLog),
    attempts: new AttemptCounter(),
    random: seededRandom(resolved.seed),
    limiter: new RateLimiter(resolved.rateLimits),
  };
  const sockets = new Set<Socket>();
  const inFlight = new Set<AbortController>();
  let sequence = 0;

  const resetState = (): void => {
    state.log.clear();
    state.attempts.clear();
    state.limiter = new RateLimiter(resolved.rateLimits);
    state.random = seededRandom(resolved.seed);
  };

  const route = async (req: IncomingMessage, res: ServerResponse, controller: AbortController) => {
    const n = ++sequence;
    res.setHeader('request-id', `req_fake_${n}`);
    const { path, query } = splitUrl(req.url);
    const method = req.method ?? 'GET';

    if (path === '/v1/messages' && method === 'POST') {
      // Authentication comes before parsing, as in the real API.
      if (resolved.requireApiKey && !hasApiKey(req)) {
        const call: FakeCall = { ...newCall(), outcome: 'unauthorized', status: 401 };
        state.log.add(call);
        return sendError(res, 401, 'authentication_error', 'x-api-key header is required');
      }
      const body = await readBody(req);
      if (body.kind === 'failed') return;
      if (body.kind === 'too_large') {
        state.log.add({ ...newCall(), status: 413 });
        res.setHeader('connection', 'close');
        return sendError(
          res,
          413,
          'request_too_large',
          `Request exceeds the maximum allowed number of bytes (${MAX_BODY_BYTES}).`,
        );
      }
      return handleMessages(state, { req, res, signal: controller.signal, sequence: n }, body.body);
    }
    if (path === '/healthz' && method === 'GET') {
      return sendJson(res, 200, JSON.stringify({ status: 'ok' }));
    }
    if (path === '/_fake/calls' && method === 'GET') {
      const key = query.get('key');
      const match = query.get('match');
      const calls = state.log.list(
        (call) =>
          (key === null || call.key === key) &&
          (match === null || call.lastUserText.includes(match)),
      );
      return sendJson(res, 200, JSON.stringify({ calls }));
    }
    if (path === '/_fake/reset' && method === 'POST') {
      resetState();
      return sendJson(res, 200, JSON.stringify({ ok: true }));
    }
    return sendError(res, 404, 'not_found_error', `Not found: ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    const controller = new AbortController();
    inFlight.add(controller);
    res.once('close', () => {
      inFlight.delete(controller);
      // Stops any pending delay for this request: no timer outlives its connection.
      controller.abort();
    });
    route(req, res, controller).catch((err: unknown) => {
      // Last line of defence: a bug must cost one request, never the process.
      if (!res.headersSent && !res.destroyed) {
        sendError(res, 500, 'api_error', `fake-claude internal error: ${String(err)}`);
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket: Socket) => {
    // Malformed HTTP: answer like Node's default handler, but never throw on a dead socket.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  // Benchmarks keep connections busy; a longer keep-alive than the SDK's client avoids races
  // where the server closes an idle socket just as the client reuses it.
  server.keepAliveTimeout = 65_000;

  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    calls: () => state.log.list(),
    callsForKey: (key) => state.log.list((call) => call.key === key),
    callsMatching: (text) => state.log.list((call) => call.lastUserText.includes(text)),
    reset: resetState,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const controller of inFlight) controller.abort();
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
