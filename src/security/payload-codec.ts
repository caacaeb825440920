/**
 * AES-256-GCM payload encryption for Temporal: every payload the client or a worker sends is
 * sealed before it leaves the process, so prompts, replies, tool data and (with the encoding
 * failure converter) failure messages are ciphertext in Temporal's database and history.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { PayloadKeyring } from './payload-keys';

/** `encoding` metadata of an encrypted payload (the Temporal convention for codec output). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key that sealed the payload, so rotation can find the right one. */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Metadata key naming the cipher, so a future cipher change can be told apart. */
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'aes-256-gcm';
const CIPHER_NAME = 'AES-256-GCM';
/** 96-bit IVs are GCM's native size; a fresh random one per payload, never reused with a key. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown when a payload cannot be decrypted; its message never contains payload data. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes ? Buffer.from(bytes).toString('utf8') : undefined;

/**
 * The plaintext that gets sealed: the whole original payload (metadata and data), so even its
 * `encoding` and any message type stay hidden. JSON with base64 fields keeps this independent
 * of the protobuf runtime; only this codec (and the codec server built on it) reads it.
 */
function serialize(payload: Payload): Buffer {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (value) metadata[key] = Buffer.from(value).toString('base64');
  }
  const data = payload.data ? Buffer.from(payload.data).toString('base64') : '';
  return Buffer.from(JSON.stringify({ m: metadata, d: data }), 'utf8');
}

function deserialize(bytes: Buffer): Payload {
  const parsed = JSON.parse(bytes.toString('utf8')) as { m: Record<string, string>; d: string };
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(parsed.m)) {
    metadata[key] = new Uint8Array(Buffer.from(value, 'base64'));
  }
  return { metadata, data: new Uint8Array(Buffer.from(parsed.d, 'base64')) };
}

/** True when `payload` was produced by this codec. */
export function isEncryptedPayload(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

/** The id of the key that sealed `payload` (undefined for a plain payload). */
export function payloadKeyId(payload: Payload): string | undefined {
  return isEncryptedPayload(payload) ? text(payload.metadata?.[KEY_ID_METADATA]) : undefined;
}

/**
 * A {@link PayloadCodec} sealing each payload with AES-256-GCM under the keyring's active key:
 * data = IV ‖ ciphertext ‖ tag, and the key id is bound into the tag as associated data, so a
 * payload whose key id was edited fails to open instead of being tried with another key.
 * Decoding accepts every key of the keyring (rotation) and passes plain payloads through
 * unchanged (jobs started before encryption was turned on still read).
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: PayloadKeyring) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads.map((payload) => this.seal(payload)));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    try {
      return Promise.resolve(payloads.map((payload) => this.open(payload)));
    } catch (err) {
      // A rejected promise, not a synchronous throw: callers await the codec.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private seal(payload: Payload): Payload {
    const { id, key } = this.keyring.active;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(serialize(payload)), cipher.final()]);
    return {
      metadata: {
        encoding: utf8(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: utf8(id),
        [CIPHER_METADATA]: utf8(CIPHER_NAME),
      },
      data: new Uint8Array(Buffer.concat([sealed, cipher.getAuthTag()])),
    };
  }

  private open(payload: Payload): Payload {
    if (!isEncryptedPayload(payload)) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new PayloadDecryptionError(`encrypted payload has no ${KEY_ID_METADATA}`);
    const entry = this.keyring.get(keyId);
    if (!entry) {
      throw new PayloadDecryptionError(
        `payload was encrypted with unknown key id "${keyId}" (known: ${this.keyring.ids.join(', ')}); ` +
          'add that key to PAYLOAD_ENCRYPTION_KEYS to read it',
      );
    }
    const bytes = Buffer.from(payload.data ?? new Uint8Array());
    if (bytes.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`encrypted payload (key "${keyId}") is truncated`);
    }
    const iv = bytes.subarray(0, IV_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const decipher = createDecipheriv(CIPHER, entry.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      // GCM's tag check failed: the ciphertext, IV or key id was altered, or the key differs.
      throw new PayloadDecryptionError(
        `encrypted payload (key "${keyId}") failed authentication: tampered or wrong key`,
      );
    }
    return deserialize(plain);
  }
}
