/**
 * Reading payloads and failures that come raw from Temporal responses (e.g. `describe().raw`),
 * which the client does not decode for us: they pass through the client's own data converter,
 * so they read the same with payload encryption on or off.
 */
import type { Client } from '@temporalio/client';
import type { Payload, ProtoFailure } from '@temporalio/common';
import {
  decodeFromPayloadsAtIndex,
  decodeOptionalFailureToOptionalError,
} from '@temporalio/common/lib/internal-non-workflow';

/** One raw payload, decrypted (if encrypted) and converted to a value; undefined if unreadable. */
export async function decodeRawPayload<T>(
  client: Client,
  payload: Payload,
): Promise<T | undefined> {
  try {
    return await decodeFromPayloadsAtIndex<T>(client.options.loadedDataConverter, 0, [payload]);
  } catch {
    // Encrypted under a key this process lacks, or not a value we understand.
    return undefined;
  }
}

/**
 * The message of a raw failure. With the encoding failure converter the `message` field says
 * only "Encoded failure" and the real text sits in (encrypted) `encodedAttributes`.
 */
export async function decodeRawFailureMessage(
  client: Client,
  failure: ProtoFailure,
): Promise<string | undefined> {
  try {
    const err = await decodeOptionalFailureToOptionalError(
      client.options.loadedDataConverter,
      failure,
    );
    return err?.message || undefined;
  } catch {
    return undefined;
  }
}
