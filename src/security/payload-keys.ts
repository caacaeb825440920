/**
 * The payload-encryption keyring: one active key that encrypts, and older keys that still
 * decrypt, so keys can be rotated without losing the history of running and finished jobs.
 */
import { inspect } from 'node:util';
import { z } from 'zod';

/** AES-256 needs exactly 32 bytes of key material. */
export const PAYLOAD_KEY_BYTES = 32;

/** One named key. The id travels (in clear) with every payload it encrypted. */
export interface PayloadKey {
  readonly id: string;
  readonly key: Buffer;
}

/**
 * The keys a process may use: `active` encrypts everything new; every key in `byId` (the active
 * one included) decrypts. Printing a keyring (logs, `util.inspect`, `JSON.stringify`) shows only
 * key ids — key material never reaches a log line by accident.
 */
export class PayloadKeyring {
  readonly active: PayloadKey;
  private readonly byId: ReadonlyMap<string, PayloadKey>;

  /** @param keys the active key first, then older keys that still decrypt (ids unique). */
  constructor(keys: readonly PayloadKey[]) {
    const [active] = keys;
    if (!active) throw new Error('a payload keyring needs at least one key');
    const byId = new Map<string, PayloadKey>();
    for (const key of keys) {
      if (byId.has(key.id)) throw new Error(`duplicate payload key id "${key.id}"`);
      if (key.key.length !== PAYLOAD_KEY_BYTES) {
        throw new Error(`payload key "${key.id}" must be ${PAYLOAD_KEY_BYTES} bytes`);
      }
      byId.set(key.id, key);
    }
    this.active = active;
    this.byId = byId;
  }

  /** The key with this id, if this process knows it. */
  get(id: string): PayloadKey | undefined {
    return this.byId.get(id);
  }

  /** Every key id, the active one first. */
  get ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Only the ids: never the key bytes. */
  toJSON(): { active: string; keyIds: string[] } {
    return { active: this.active.id, keyIds: this.ids };
  }

  [inspect.custom](): string {
    return `PayloadKeyring(active=${this.active.id}, keys=${this.ids.join(',')})`;
  }
}

/** Key ids are written into payload metadata and logs: short, printable, no separators. */
const keyIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'key ids are 1-64 letters, digits, ".", "_" or "-"');

/** Standard base64 (or base64url) of exactly 32 bytes. */
const keyMaterialSchema = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'the key must be base64')
  .transform((text) => Buffer.from(text, 'base64'))
  .refine((bytes) => bytes.length === PAYLOAD_KEY_BYTES, {
    message: `each key must decode to exactly ${PAYLOAD_KEY_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`,
  });

/**
 * `kid1:base64key,kid0:base64key` (commas or newlines between entries; the first is active) into
 * a {@link PayloadKeyring}. Error messages name the offending entry by position and id, never
 * its key material.
 */
export const payloadKeysSchema = z.string().transform((text, ctx) => {
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('#'));
  if (entries.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one key id:base64key' });
    return z.NEVER;
  }
  const keys: PayloadKey[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    if (separator < 0) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is not "id:base64key"` });
      return;
    }
    const id = keyIdSchema.safeParse(entry.slice(0, separator).trim());
    const key = keyMaterialSchema.safeParse(entry.slice(separator + 1).trim());
    if (!id.success) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1}: ${id.error.issues[0]?.message}`,
      });
      return;
    }
    if (!key.success) {
      ctx.addIssue({
        code: 'custom',
        message: `key "${id.data}": ${key.error.issues[0]?.message}`,
      });
      return;
    }
    if (seen.has(id.data)) {
      ctx.addIssue({ code: 'custom', message: `key id "${id.data}" appears more than once` });
      return;
    }
    seen.add(id.data);
    keys.push({ id: id.data, key: key.data });
  });
  return keys.length === entries.length ? new PayloadKeyring(keys) : z.NEVER;
});
