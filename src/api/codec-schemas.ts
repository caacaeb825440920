/**
 * Bodies of the codec server endpoints: a `temporal.api.common.v1.Payloads` message in proto3
 * JSON, `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}` — bytes are
 * base64 (standard or URL-safe, as proto3 JSON allows) and empty fields may be omitted.
 */
import { z } from 'zod';

/** Most payloads one request may carry: a history page holds far fewer. */
export const CODEC_MAX_PAYLOADS = 10_000;

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64')
  .refine((text) => text.replace(/=+$/, '').length % 4 !== 1, { message: 'must be base64' });

/** One payload. Unknown fields are ignored for forward compatibility with newer protos. */
export const codecPayloadSchema = z.object({
  metadata: z.record(z.string().min(1).max(256), base64).optional(),
  data: base64.optional(),
});

/** A `Payloads` message; proto3 JSON omits an empty list, so `{}` is zero payloads. */
export const codecRequestSchema = z.object({
  payloads: z.array(codecPayloadSchema).max(CODEC_MAX_PAYLOADS).default([]),
});

/** The validated request body. */
export type CodecRequest = z.infer<typeof codecRequestSchema>;
/** One payload in proto3 JSON form. */
export type CodecPayloadJson = z.infer<typeof codecPayloadSchema>;
