/**
 * The AES-256-GCM payload codec and its keyring configuration, without Temporal: round trips,
 * tampering, unknown keys, rotation, and the environment parsing that feeds them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import pino from 'pino';
import { ConfigError, loadConfig } from '../src/config';
import { bearerTokenMatches } from '../src/security/bearer-token';
import { createDataConverter, logPayloadEncryption } from '../src/security/data-converter';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  payloadKeyId,
} from '../src/security/payload-codec';
import { PayloadKeyring, payloadKeysSchema } from '../src/security/payload-keys';

const key = () => randomBytes(32);
const keyring = (...ids: string[]) => new PayloadKeyring(ids.map((id) => ({ id, key: key() })));
const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

const SECRET = { prompt: 'the launch code is 0000', nested: { emoji: '🔐', n: 42 } };
const plain = (): Payload => defaultPayloadConverter.toPayload(SECRET);

describe('AesGcmPayloadCodec', () => {
  it('round-trips payloads (metadata, data, empty data) and hides their content', async () => {
    const codec = new AesGcmPayloadCodec(keyring('k1'));
    const empty: Payload = { metadata: { encoding: Buffer.from('binary/null') } };
    const originals = [plain(), empty];
    const encoded = await codec.encode(originals);
    expect(encoded).toHaveLength(2);
    for (const payload of encoded) {
      expect(utf8(payload.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(utf8(payload.metadata?.[KEY_ID_METADATA])).toBe('k1');
      expect(payloadKeyId(payload)).toBe('k1');
      // Neither the data nor the original encoding survive in clear.
      expect(utf8(payload.data)).not.toContain('launch code');
      expect(utf8(payload.data)).not.toContain('json/plain');
    }
    const decoded = await codec.decode(encoded);
    expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual(SECRET);
    expect(utf8(decoded[0]!.metadata?.encoding)).toBe('json/plain');
    expect(utf8(decoded[1]!.metadata?.encoding)).toBe('binary/null');
    expect(decoded[1]!.data).toHaveLength(0);
  });

  it('uses a fresh IV per payload: the same plaintext never encrypts to the same bytes', async () => {
    const codec = new AesGcmPayloadCodec(keyring('k1'));
    const [a, b] = await codec.encode([plain(), plain()]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(
      Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12)),
    ).toBe(false);
  });

  it('refuses a tampered ciphertext, IV, tag or key id with a clear error', async () => {
    const ring = keyring('k1', 'k0');
    const codec = new AesGcmPayloadCodec(ring);
    const [sealed] = await codec.encode([plain()]);
    const data = Buffer.from(sealed!.data!);
    for (const index of [0, 12, 20, data.length - 1]) {
      const flipped = Buffer.from(data);
      flipped[index] = flipped[index]! ^ 0x01;
      await expect(
        codec.decode([{ metadata: sealed!.metadata, data: new Uint8Array(flipped) }]),
      ).rejects.toThrow(/key "k1".*failed authentication: tampered or wrong key/);
    }
    // Relabelling the payload with another known key id fails too (the id is authenticated).
    const relabelled = { ...sealed!.metadata, [KEY_ID_METADATA]: Buffer.from('k0') };
    await expect(codec.decode([{ metadata: relabelled, data: sealed!.data }])).rejects.toThrow(
      PayloadDecryptionError,
    );
    await expect(
      codec.decode([{ metadata: sealed!.metadata, data: new Uint8Array(data.subarray(0, 20)) }]),
    ).rejects.toThrow(/truncated/);
  });

  it('fails clearly on a payload sealed with a key id it does not know', async () => {
    const [sealed] = await new AesGcmPayloadCodec(keyring('retired')).encode([plain()]);
    const error = await new AesGcmPayloadCodec(keyring('k2', 'k1'))
      .decode([sealed!])
      .catch((err: unknown) => err as Error);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect((error as Error).message).toBe(
      'payload was encrypted with unknown key id "retired" (known: k2, k1); add that key to ' +
        'PAYLOAD_ENCRYPTION_KEYS to read it',
    );
  });

  it('rotation: a payload sealed under an old key opens once that key is an older entry', async () => {
    const k1 = { id: 'k1', key: key() };
    const k2 = { id: 'k2', key: key() };
    const [old] = await new AesGcmPayloadCodec(new PayloadKeyring([k1])).encode([plain()]);
    const rotated = new AesGcmPayloadCodec(new PayloadKeyring([k2, k1]));
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual(SECRET);
    const [fresh] = await rotated.encode([plain()]);
    expect(payloadKeyId(fresh!)).toBe('k2');
  });

  it('passes plain payloads through on decode (jobs from before encryption was enabled)', async () => {
    const codec = new AesGcmPayloadCodec(keyring('k1'));
    const [decoded] = await codec.decode([plain()]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(SECRET);
  });
});

describe('payload key configuration', () => {
  const b64 = () => key().toString('base64');

  it('parses "kid:base64,kid:base64" with the first key active', () => {
    const ring = payloadKeysSchema.parse(`k2:${b64()}, k1:${b64()}\n`);
    expect(ring.active.id).toBe('k2');
    expect(ring.ids).toEqual(['k2', 'k1']);
  });

  it('never shows key material when printed or serialised', () => {
    const material = b64();
    const ring = payloadKeysSchema.parse(`k1:${material}`);
    const hex = Buffer.from(material, 'base64').toString('hex');
    for (const shown of [inspect(ring), JSON.stringify(ring), inspect({ config: ring })]) {
      expect(shown).toContain('k1');
      expect(shown).not.toContain(material);
      expect(shown).not.toContain(hex);
    }
  });

  it.each([
    [
      'a short key',
      () => `k1:${randomBytes(16).toString('base64')}`,
      /key "k1": each key must decode to exactly 32 bytes/,
    ],
    ['a duplicate id', () => `k1:${b64()},k1:${b64()}`, /key id "k1" appears more than once/],
    ['an entry without an id', () => b64(), /entry 1 is not "id:base64key"/],
    ['a non-base64 key', () => 'k1:not base64!', /key "k1": the key must be base64/],
    ['a bad id', () => `k 1:${b64()}`, /entry 1: key ids are/],
  ])('rejects %s, naming PAYLOAD_ENCRYPTION_KEYS and never the key', (_name, value, message) => {
    const raw = value();
    const error = (() => {
      try {
        loadConfig({ PAYLOAD_ENCRYPTION_KEYS: raw });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.issues.map((issue) => issue.variable)).toEqual(['PAYLOAD_ENCRYPTION_KEYS']);
    expect(configError.message).toMatch(message);
    const material = raw.split(',')[0]!.split(':').pop()!;
    if (material.length > 8) expect(configError.message).not.toContain(material);
  });

  it('reads PAYLOAD_ENCRYPTION_KEYS_FILE, and refuses it together with PAYLOAD_ENCRYPTION_KEYS', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'payload-keys-'));
    try {
      const file = path.join(dir, 'keys');
      writeFileSync(file, `# rotated 2026-11\nk2:${b64()}\nk1:${b64()}\n`);
      const config = loadConfig({ PAYLOAD_ENCRYPTION_KEYS_FILE: file });
      expect(config.payloadEncryption.keyring?.ids).toEqual(['k2', 'k1']);
      expect(() =>
        loadConfig({ PAYLOAD_ENCRYPTION_KEYS_FILE: file, PAYLOAD_ENCRYPTION_KEYS: `k3:${b64()}` }),
      ).toThrow(/PAYLOAD_ENCRYPTION_KEYS_FILE: set either/);
      expect(() => loadConfig({ PAYLOAD_ENCRYPTION_KEYS_FILE: path.join(dir, 'missing') })).toThrow(
        /PAYLOAD_ENCRYPTION_KEYS_FILE: cannot read .*ENOENT/,
      );
      writeFileSync(file, `k1:${randomBytes(31).toString('base64')}\n`);
      expect(() => loadConfig({ PAYLOAD_ENCRYPTION_KEYS_FILE: file })).toThrow(
        /PAYLOAD_ENCRYPTION_KEYS_FILE: key "k1": each key must decode to exactly 32 bytes/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is off by default; the codec server settings are validated', () => {
    const config = loadConfig({});
    expect(config.payloadEncryption).toEqual({});
    expect(createDataConverter(undefined).payloadCodecs).toBeUndefined();
    expect(createDataConverter(keyring('k1')).payloadCodecs).toHaveLength(1);
    expect(() => loadConfig({ CODEC_SERVER_TOKEN: 'short' })).toThrow(
      /CODEC_SERVER_TOKEN: must be at least 16 characters/,
    );
    expect(() => loadConfig({ CODEC_CORS_ORIGIN: 'http://127.0.0.1:8233/ui' })).toThrow(
      /CODEC_CORS_ORIGIN: must be an origin/,
    );
    expect(loadConfig({ CODEC_CORS_ORIGIN: 'http://127.0.0.1:8233/' }).payloadEncryption).toEqual({
      codecCorsOrigin: 'http://127.0.0.1:8233',
    });
  });

  it('warns loudly in one line when encryption is off, and logs only key ids when on', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    logPayloadEncryption(logger, undefined);
    const material = b64();
    logPayloadEncryption(logger, payloadKeysSchema.parse(`k9:${material}`));
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40 });
    expect(lines[0]).toMatch(/PAYLOAD ENCRYPTION OFF.*PLAIN TEXT/);
    expect(JSON.parse(lines[1]!)).toMatchObject({ active_key_id: 'k9', key_ids: ['k9'] });
    expect(lines.join('')).not.toContain(material);
  });
});

describe('bearerTokenMatches', () => {
  it('accepts exactly "Bearer <token>" and nothing else', () => {
    const token = 'codec-token-0123456789';
    expect(bearerTokenMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerTokenMatches(`bearer ${token}`, token)).toBe(true);
    for (const header of [
      undefined,
      '',
      token,
      'Bearer',
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
      `Basic ${token}`,
      `Bearer ${token} extra`,
    ]) {
      expect(bearerTokenMatches(header, token)).toBe(false);
    }
  });
});
