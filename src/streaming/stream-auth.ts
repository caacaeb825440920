import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError, type AppConfig } from '../config';

/**
 * Authentication of the API's reads of a worker's live text (src/streaming/stream-server.ts).
 *
 * Why a signature rather than the secret itself as a bearer token: the stream is plain HTTP
 * inside the cluster, so whatever travels on it can be seen by anyone who can see that traffic.
 * A token is an HMAC of one stream's path and an expiry, so a captured token opens one stream for
 * a minute; the secret never leaves the processes that hold it.
 */

/** How long a token the API signs stays valid (it is checked once, when the stream opens). */
export const STREAM_TOKEN_TTL_MS = 60_000;
/** Tokens expiring further ahead than this are refused (bounds what a clock skew can allow). */
const MAX_TOKEN_LIFETIME_MS = 10 * 60_000;
const VERSION = 'v1';

function signature(secret: string, path: string, expiresSec: number): Buffer {
  return createHmac('sha256', secret).update(`${VERSION}\n${path}\n${expiresSec}`).digest();
}

/**
 * The `Authorization` header value for reading the stream at `path` (a URL pathname such as
 * `/streams/<job>/<call>/<attempt>`): `Bearer v1.<expiry in epoch seconds>.<base64url HMAC>`.
 */
export function streamAuthorization(secret: string, path: string, now = Date.now()): string {
  const expiresSec = Math.ceil((now + STREAM_TOKEN_TTL_MS) / 1000);
  const mac = signature(secret, path, expiresSec).toString('base64url');
  return `Bearer ${VERSION}.${expiresSec}.${mac}`;
}

/** True when `header` is a current token for `path` signed with `secret` (constant-time compare). */
export function verifyStreamAuthorization(
  secret: string,
  path: string,
  header: string | undefined,
  now = Date.now(),
): boolean {
  const match = header ? /^Bearer v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(header) : null;
  if (!match) return false;
  const expiresSec = Number(match[1]);
  const expiresMs = expiresSec * 1000;
  if (expiresMs < now || expiresMs > now + MAX_TOKEN_LIFETIME_MS) return false;
  const given = Buffer.from(match[2]!, 'base64url');
  const expected = signature(secret, path, expiresSec);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A fresh random secret (what `npm start` gives its children when none is configured). */
export function randomStreamSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** True for an address only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Refuses to start a process that would expose or read live text without the shared secret
 * where that matters: in production (NODE_ENV=production) the API and activity workers need
 * STREAM_SECRET; anywhere, a worker whose stream server listens beyond loopback needs it.
 *
 * @param role `api` (reads streams) or `activities` (serves them).
 */
export function assertStreamSecret(config: AppConfig, role: 'api' | 'activities'): void {
  if (config.agent.streamSecret) return;
  if (config.production) {
    throw new ConfigError([
      {
        variable: 'STREAM_SECRET',
        message:
          'required when NODE_ENV=production (the same value for the API and every activity ' +
          'worker; e.g. `openssl rand -base64 32`), or set STREAM_SECRET_FILE',
      },
    ]);
  }
  if (role === 'activities' && config.agent.streamPort !== 0) {
    if (!isLoopbackHost(config.agent.streamHost)) {
      throw new ConfigError([
        {
          variable: 'STREAM_SECRET',
          message: `required when STREAM_HOST (${config.agent.streamHost}) is not a loopback address`,
        },
      ]);
    }
  }
}

/**
 * The environment of a local stack's children (`npm start`, `stack:postgres`, the chaos and
 * bench stacks) with a stream secret: the configured one, or a random one for this run only, so
 * the API and the workers it starts share a key nobody else has.
 */
export function withStreamSecret(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.STREAM_SECRET || env.STREAM_SECRET_FILE) return env;
  return { ...env, STREAM_SECRET: randomStreamSecret() };
}
