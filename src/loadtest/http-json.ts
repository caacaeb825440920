/**
 * A small keep-alive HTTP/1.1 JSON client on `node:http`. The load generator must cost far less
 * CPU per request than the system it measures (it shares a 2-core box with it), and `fetch`
 * spends noticeably more per request than a plain pooled `http.request`.
 */
import http from 'node:http';

/** The answer to one request. */
export interface JsonAnswer {
  status: number;
  /** Parsed JSON body; undefined when the body was empty or not JSON. */
  body: unknown;
  /** Header lookup (lower-case names). */
  headers: http.IncomingHttpHeaders;
  /** Wall time from the request being issued to the last body byte, in ms. */
  ms: number;
}

/** A pooled client for one base URL. */
export interface JsonClient {
  request(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<JsonAnswer>;
  /** Closes idle pooled sockets. */
  close(): void;
}

/** Error thrown when a request fails below HTTP (refused, reset, timed out). */
export class TransportError extends Error {
  constructor(
    message: string,
    /** `ECONNREFUSED`, `ECONNRESET`, `timeout`, … */
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Creates a client for `baseUrl` (http only: load targets are loopback deployments).
 *
 * @param maxSockets - bound on concurrent connections; requests beyond it queue in the agent.
 */
export function createJsonClient(baseUrl: string, maxSockets = 256): JsonClient {
  const base = new URL(baseUrl);
  if (base.protocol !== 'http:') throw new Error(`only http:// URLs are supported, got ${baseUrl}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const prefix = base.pathname.replace(/\/$/, '');
  return {
    request(method, path, body, timeoutMs = 30_000) {
      return new Promise<JsonAnswer>((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const started = performance.now();
        const req = http.request(
          {
            agent,
            host: base.hostname,
            port: base.port === '' ? 80 : Number(base.port),
            method,
            path: prefix + path,
            headers: payload
              ? { 'content-type': 'application/json', 'content-length': payload.length }
              : {},
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', (err) => reject(new TransportError(err.message, 'ECONNRESET')));
            res.on('end', () => {
              const ms = performance.now() - started;
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown;
              try {
                parsed = text === '' ? undefined : JSON.parse(text);
              } catch {
                parsed = undefined;
              }
              resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers, ms });
            });
          },
        );
        req.setTimeout(timeoutMs, () => {
          req.destroy(new TransportError(`no answer within ${timeoutMs} ms`, 'timeout'));
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          reject(
            err instanceof TransportError
              ? err
              : new TransportError(err.message, err.code ?? 'error'),
          );
        });
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
