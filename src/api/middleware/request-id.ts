import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id — the client's `X-Request-Id` when it is well-formed, else a new
 * one — and echoes it in the response, so a client's report can be matched with our logs.
 */
export const requestId: RequestHandler = (req, res, next) => {
  const given = req.get('x-request-id');
  const id = given && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
  (res.locals as { requestId?: string }).requestId = id;
  res.set('X-Request-Id', id);
  next();
};
