/**
 * The codec server: `POST /codec/encode` and `POST /codec/decode` speak the Temporal remote-codec
 * protocol, so the Temporal Web UI and `temporal … --codec-endpoint <api>/codec` show decrypted
 * payloads to an operator who holds `CODEC_SERVER_TOKEN`. Nothing else reaches the keys.
 */
import express, { Router, type RequestHandler, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { AppConfig } from '../../config';
import { bearerTokenMatches } from '../../security/bearer-token';
import { AesGcmPayloadCodec, isEncryptedPayload } from '../../security/payload-codec';
import { codecRequestSchema, type CodecPayloadJson } from '../codec-schemas';
import { HttpError } from '../http-error';
import { requireJson } from '../middleware/require-json';
import { parseOrThrow } from '../validate';

/** Dependencies of the codec routes. */
export interface CodecRoutesDeps {
  config: AppConfig;
  /** The one Temporal namespace whose payloads this server encodes and decodes. */
  namespace: string;
}

const CODEC_PATHS = ['/codec/encode', '/codec/decode'];
/**
 * Bodies are whole sets of payloads (a workflow result may be up to Temporal's 2 MiB payload
 * limit, a third more in base64), so the limit is higher than the chat API's.
 */
const CODEC_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** How long a browser may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 600;

const toBytes = (base64: string | undefined): Uint8Array =>
  new Uint8Array(Buffer.from(base64 ?? '', 'base64'));
const toBase64 = (bytes: Uint8Array | null | undefined): string =>
  Buffer.from(bytes ?? new Uint8Array()).toString('base64');

function fromJson(payload: CodecPayloadJson): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) metadata[key] = toBytes(value);
  return { metadata, data: toBytes(payload.data) };
}

function toJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {}))
    metadata[key] = toBase64(value);
  return { metadata, data: toBase64(payload.data) };
}

/**
 * Without keys there is nothing to encrypt with: encode passes payloads through (exactly what
 * the workers do then) and decode refuses encrypted ones it cannot open.
 */
const noKeysCodec: PayloadCodec = {
  encode: (payloads) => Promise.resolve(payloads),
  decode: (payloads) => {
    if (payloads.some(isEncryptedPayload)) {
      return Promise.reject(
        new Error('payload is encrypted but PAYLOAD_ENCRYPTION_KEYS is not set on this server'),
      );
    }
    return Promise.resolve(payloads);
  },
};

/**
 * CORS for exactly the configured UI origin (with credentials, as the Web UI's "include
 * cross-origin credentials" option needs). Other origins get no CORS headers, so browsers
 * refuse to hand them the answer; a preflight from them is refused outright.
 */
function codecCors(allowedOrigin: string | undefined): RequestHandler {
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    const allowed = allowedOrigin !== undefined && origin === allowedOrigin;
    if (allowed) {
      res.set({
        'Access-Control-Allow-Origin': allowedOrigin,
        'Access-Control-Allow-Credentials': 'true',
      });
    }
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    if (!allowed) {
      next(
        new HttpError(403, 'cors_origin_not_allowed', 'This origin may not call the codec server'),
      );
      return;
    }
    res
      .set({
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
        'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_S),
      })
      .status(204)
      .end();
  };
}

/** 401 unless the caller sends `Authorization: Bearer <CODEC_SERVER_TOKEN>`. */
function requireCodecToken(token: string): RequestHandler {
  return (req, _res, next) => {
    if (bearerTokenMatches(req.get('authorization'), token)) {
      next();
      return;
    }
    next(
      new HttpError(
        401,
        'unauthorized',
        'A valid codec server bearer token is required',
        undefined,
        {
          'WWW-Authenticate': 'Bearer realm="agent-fleet-codec"',
        },
      ),
    );
  };
}

/** 400 for any namespace but ours (`X-Namespace`, sent by the Web UI and the CLI). */
function requireNamespace(namespace: string): RequestHandler {
  return (req, _res, next) => {
    const asked = req.get('x-namespace');
    if (asked === undefined || asked === namespace) {
      next();
      return;
    }
    next(
      HttpError.validation([
        { field: 'X-Namespace', message: `this codec server serves namespace "${namespace}" only` },
      ]),
    );
  };
}

/**
 * Mounts the codec endpoints. With no `CODEC_SERVER_TOKEN` they do not exist (404, like any
 * unknown route): an unauthenticated decrypting endpoint would undo the encryption.
 */
export function codecRoutes({ config, namespace }: CodecRoutesDeps): Router {
  const router = Router();
  const { keyring, codecServerToken, codecCorsOrigin } = config.payloadEncryption;
  if (codecServerToken === undefined) return router;
  const codec: PayloadCodec = keyring ? new AesGcmPayloadCodec(keyring) : noKeysCodec;
  const jsonBody = express.json({ limit: CODEC_MAX_BODY_BYTES, strict: true });

  router.use(CODEC_PATHS, codecCors(codecCorsOrigin));
  // Authenticate and check the namespace before reading a byte of the body.
  router.use(CODEC_PATHS, requireCodecToken(codecServerToken), requireNamespace(namespace));

  const respond = (res: Response, payloads: Payload[]) => {
    // Decrypted payloads are private data: never cache them anywhere.
    res.set('Cache-Control', 'no-store').json({ payloads: payloads.map(toJson) });
  };

  router.post('/codec/encode', requireJson, jsonBody, async (req, res) => {
    const body = parseOrThrow(codecRequestSchema, req.body);
    respond(res, await codec.encode(body.payloads.map(fromJson)));
  });

  router.post('/codec/decode', requireJson, jsonBody, async (req, res) => {
    const body = parseOrThrow(codecRequestSchema, req.body);
    const decoded: Payload[] = [];
    // One at a time, so a payload that cannot be opened is named by its index.
    for (const [index, payload] of body.payloads.entries()) {
      try {
        decoded.push(...(await codec.decode([fromJson(payload)])));
      } catch (err) {
        throw new HttpError(400, 'undecodable_payload', 'A payload could not be decoded', [
          { field: `payloads.${index}`, message: (err as Error).message },
        ]);
      }
    }
    respond(res, decoded);
  });
  return router;
}
