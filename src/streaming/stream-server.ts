import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyStreamAuthorization } from './stream-auth';
import type { StreamHub } from './stream-hub';

/** Options of {@link startStreamServer}. */
export interface StreamServerOptions {
  hub: StreamHub;
  host: string;
  /** 0 = an ephemeral port. */
  port: number;
  /**
   * STREAM_SECRET: every read must carry a token signed with it (see stream-auth.ts), or gets
   * 401 and no text. Absent: reads are not checked (callers bind such a server to loopback).
   */
  secret?: string;
  /**
   * Base URL the API should use to reach this server (e.g. `http://worker-3.internal:9467`).
   * Default: `http://<host>:<port>` (with 0.0.0.0 replaced by 127.0.0.1, right for one machine).
   */
  advertiseUrl?: string;
}

/** A running stream server. */
export interface StreamServerHandle {
  url: string;
  close(): Promise<void>;
}

const PATH = /^\/streams\/([^/]+)\/(\d+)\/(\d+)$/;

/**
 * Serves the hub's live model-call text as server-sent events:
 * `GET /streams/<job id>/<call>/<attempt>?from=<offset>` → `data: {"offset":N,"text":"…"}` per
 * delta, then `event: end`. Internal only (workers ↔ API): it carries users' text, so it binds
 * to loopback unless STREAM_HOST says otherwise, and with a secret it answers only reads the API
 * signed (`Authorization: Bearer v1.<expiry>.<hmac>`).
 */
export async function startStreamServer(options: StreamServerOptions): Promise<StreamServerHandle> {
  const { hub } = options;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = req.method === 'GET' ? PATH.exec(url.pathname) : null;
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    if (
      options.secret !== undefined &&
      !verifyStreamAuthorization(options.secret, url.pathname, req.headers.authorization)
    ) {
      res
        .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' })
        .end('{"error":"unauthorized"}');
      return;
    }
    const key = `${decodeURIComponent(match[1] ?? '')}/${match[2]}/${match[3]}`;
    const from = Math.max(0, Number(url.searchParams.get('from') ?? '0') || 0);
    let headersSent = false;
    const start = () => {
      if (headersSent) return;
      headersSent = true;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      // Flush headers now: the API starts relaying before the first token exists.
      res.flushHeaders();
    };
    const unsubscribe = hub.subscribe(key, from, {
      onText(offset, text) {
        start();
        res.write(`data: ${JSON.stringify({ offset, text })}\n\n`);
      },
      onEnd() {
        start();
        res.end('event: end\ndata: {}\n\n');
      },
    });
    if (!unsubscribe) {
      res.writeHead(404).end();
      return;
    }
    start();
    req.socket.setNoDelay(true);
    res.once('close', unsubscribe);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = options.advertiseUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  hub.baseUrl = url.replace(/\/$/, '');
  return {
    url: hub.baseUrl,
    close: () =>
      new Promise<void>((resolve) => {
        hub.baseUrl = undefined;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The URL of one stream on a server whose base URL is `baseUrl`. */
export function streamUrl(baseUrl: string, jobId: string, call: number, attempt: number): string {
  return `${baseUrl}/streams/${encodeURIComponent(jobId)}/${call}/${attempt}`;
}
