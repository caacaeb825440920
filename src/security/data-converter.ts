/**
 * One place that decides how Temporal payloads are encoded: every client and worker of Agent
 * Fleet gets its data converter from {@link createDataConverter}, so they always agree.
 */
import type { DataConverter } from '@temporalio/common';
import type { Logger } from 'pino';
import { AesGcmPayloadCodec } from './payload-codec';
import type { PayloadKeyring } from './payload-keys';

/**
 * Path of the encoding failure converter module, for `failureConverterPath` (the SDK requires
 * it in the worker and bakes it into the workflow bundle).
 */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The data converter for a keyring: AES-256-GCM payload encryption with it, none without.
 * Failure messages always travel in `encodedAttributes` (see ./failure-converter): the workflow
 * bundle cannot read configuration, so its failure converter is the same with and without keys,
 * and the clients and workers match it. Without keys those attributes are plain JSON payloads
 * that every Temporal reader decodes.
 */
export function createDataConverter(keyring: PayloadKeyring | undefined): DataConverter {
  return {
    failureConverterPath: FAILURE_CONVERTER_PATH,
    ...(keyring ? { payloadCodecs: [new AesGcmPayloadCodec(keyring)] } : {}),
  };
}

/**
 * Start-up notice of the API and workers: a loud one-line warning when payloads go to Temporal
 * in plain text, else the active key id (ids only, never key material).
 */
export function logPayloadEncryption(logger: Logger, keyring: PayloadKeyring | undefined): void {
  if (!keyring) {
    logger.warn(
      'PAYLOAD ENCRYPTION OFF: prompts and replies are stored in PLAIN TEXT in Temporal history; set PAYLOAD_ENCRYPTION_KEYS (or PAYLOAD_ENCRYPTION_KEYS_FILE) in production',
    );
    return;
  }
  logger.info(
    { active_key_id: keyring.active.id, key_ids: keyring.ids },
    'payload encryption on (AES-256-GCM)',
  );
}
