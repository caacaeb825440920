/**
 * The failure converter of every client, worker and the workflow bundle. It moves each failure's
 * message and stack trace out of the plain `Failure` fields into `encodedAttributes`, a payload,
 * so the payload codec encrypts them like any other payload (history then shows only
 * "Encoded failure"). Loaded by path (`failureConverterPath`) because workflow code gets its
 * converter at bundle time: see src/bin/bundle-workflows.ts.
 */
import { DefaultFailureConverter } from '@temporalio/common';

/** The named export the Temporal SDK looks for in a `failureConverterPath` module. */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
