import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * True when `authorization` is exactly `Bearer <expected>`. Both sides are hashed first so the
 * comparison takes the same time whatever the length or content of the guess (timingSafeEqual
 * alone needs equal lengths, and an early length check would leak the token's length).
 */
export function bearerTokenMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  const given = match?.[1] ?? '';
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  // Hash even when the header is malformed, so a bad header costs the same as a wrong token.
  const equal = timingSafeEqual(digest(given), digest(expected));
  return match !== null && equal;
}
