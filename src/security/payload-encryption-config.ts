/**
 * Payload-encryption and codec-server settings, from the environment: the keyring comes from
 * `PAYLOAD_ENCRYPTION_KEYS` or the file named by `PAYLOAD_ENCRYPTION_KEYS_FILE` (one or the
 * other), the codec server's token and CORS origin from `CODEC_SERVER_TOKEN` and
 * `CODEC_CORS_ORIGIN`.
 */
import { readFileSync } from 'node:fs';
import { payloadKeysSchema, type PayloadKeyring } from './payload-keys';

/** The `payloadEncryption` part of the application config. */
export interface PayloadEncryptionConfig {
  /** Absent: payloads reach Temporal in plain text (development default; warned at start-up). */
  keyring?: PayloadKeyring;
  /** Bearer token of `POST /codec/encode|decode`; absent: those endpoints answer 404. */
  codecServerToken?: string;
  /** The one browser origin (the Temporal Web UI) allowed to call the codec endpoints. */
  codecCorsOrigin?: string;
}

/** A bad setting; `variable` names the environment variable at fault. */
export class PayloadEncryptionConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'PayloadEncryptionConfigError';
  }
}

/**
 * Builds the settings from already-validated variables, reading the key file if one is named.
 * Error messages name the variable and the offending key id, never key material.
 */
export function payloadEncryptionConfig(vars: {
  PAYLOAD_ENCRYPTION_KEYS?: PayloadKeyring;
  PAYLOAD_ENCRYPTION_KEYS_FILE?: string;
  CODEC_SERVER_TOKEN?: string;
  CODEC_CORS_ORIGIN?: string;
}): PayloadEncryptionConfig {
  const file = vars.PAYLOAD_ENCRYPTION_KEYS_FILE;
  let keyring = vars.PAYLOAD_ENCRYPTION_KEYS;
  if (file !== undefined) {
    if (keyring) {
      throw new PayloadEncryptionConfigError(
        'PAYLOAD_ENCRYPTION_KEYS_FILE',
        'set either PAYLOAD_ENCRYPTION_KEYS or PAYLOAD_ENCRYPTION_KEYS_FILE, not both',
      );
    }
    let contents: string;
    try {
      contents = readFileSync(file, 'utf8');
    } catch (err) {
      throw new PayloadEncryptionConfigError(
        'PAYLOAD_ENCRYPTION_KEYS_FILE',
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    const parsed = payloadKeysSchema.safeParse(contents);
    if (!parsed.success) {
      throw new PayloadEncryptionConfigError(
        'PAYLOAD_ENCRYPTION_KEYS_FILE',
        parsed.error.issues.map((issue) => issue.message).join('; '),
      );
    }
    keyring = parsed.data;
  }
  return {
    ...(keyring ? { keyring } : {}),
    ...(vars.CODEC_SERVER_TOKEN ? { codecServerToken: vars.CODEC_SERVER_TOKEN } : {}),
    ...(vars.CODEC_CORS_ORIGIN ? { codecCorsOrigin: vars.CODEC_CORS_ORIGIN } : {}),
  };
}
