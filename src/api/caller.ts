import type { Response } from 'express';
import type { ApiKeyIdentity } from '../security/api-keys';
import { HttpError } from './http-error';

/**
 * Who is calling. In open development mode (no API keys configured) there is no identity and
 * the `user_id` in the request names the user, as in the replaced design.
 */
export type Caller = { mode: 'open' } | ({ mode: 'key' } & ApiKeyIdentity);

/** The caller that the authentication middleware attached to this response. */
export function callerOf(res: Response): Caller {
  return (res.locals as { caller?: Caller }).caller ?? { mode: 'open' };
}

/**
 * The user a request acts for. With a key it is the key's user, and a different `user_id` in
 * the body is a 403; in open mode the body's `user_id` is required.
 */
export function actingUser(caller: Caller, bodyUserId: string | undefined): string {
  if (caller.mode === 'key') {
    if (bodyUserId !== undefined && bodyUserId !== caller.userId && caller.role !== 'admin') {
      throw new HttpError(403, 'forbidden', 'user_id does not match the API key', [
        { field: 'user_id', message: "must be the API key's own user (or omitted)" },
      ]);
    }
    return bodyUserId ?? caller.userId;
  }
  if (bodyUserId === undefined)
    throw HttpError.validation([{ field: 'user_id', message: 'Required' }]);
  return bodyUserId;
}

/**
 * Object-level authorization: may this caller see a resource owned by `ownerUserId`? Callers
 * who may not are answered 404 — exactly as if it did not exist — so ids leak nothing.
 */
export function mayAccess(caller: Caller, ownerUserId: string): boolean {
  return caller.mode === 'open' || caller.role === 'admin' || caller.userId === ownerUserId;
}
