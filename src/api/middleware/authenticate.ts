import type { RequestHandler } from 'express';
import type { ApiKeyStore } from '../../security/api-keys';
import { HttpError } from '../http-error';
import type { Caller } from '../caller';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="agent-fleet"' };
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,512})$/;

/**
 * Authenticates `Authorization: Bearer <key>` against the configured key digests. Missing,
 * malformed or unknown keys are a 401 with a `WWW-Authenticate` challenge. With no keys
 * configured every request passes as an open-mode caller.
 */
export function authenticate(keys: ApiKeyStore): RequestHandler {
  return (req, res, next) => {
    if (!keys.enabled) {
      (res.locals as { caller?: Caller }).caller = { mode: 'open' };
      next();
      return;
    }
    const header = req.get('authorization');
    if (!header) {
      next(
        new HttpError(
          401,
          'unauthorized',
          'An API key is required (Authorization: Bearer <key>)',
          undefined,
          CHALLENGE,
        ),
      );
      return;
    }
    const match = BEARER.exec(header);
    const identity = match ? keys.authenticate(match[1]!) : undefined;
    if (!identity) {
      next(
        new HttpError(
          401,
          'unauthorized',
          'The API key is malformed or unknown',
          undefined,
          CHALLENGE,
        ),
      );
      return;
    }
    (res.locals as { caller?: Caller }).caller = { mode: 'key', ...identity };
    next();
  };
}
