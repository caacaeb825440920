import { createHash } from 'node:crypto';
import { status as grpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { SEARCH_ATTRIBUTES, type FairnessSettings, type PriorityLevel } from '../shared';
import { HttpError } from './http-error';

/** Typed keys of the custom search attributes every job workflow carries. */
export const userIdSearchAttribute = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.userId.name,
  SearchAttributeType.KEYWORD,
);
export const prioritySearchAttribute = defineSearchAttributeKey(
  SEARCH_ATTRIBUTES.priority.name,
  SearchAttributeType.INT,
);

/** The search attributes of a job: who submitted it and how urgent it is (never prompt text). */
export function jobSearchAttributes(userId: string, priority: PriorityLevel) {
  return [
    { key: userIdSearchAttribute, value: userId },
    { key: prioritySearchAttribute, value: priority },
  ];
}

/** Temporal gRPC codes that mean "the server is unreachable or overloaded right now". */
const UNAVAILABLE_CODES = new Set<number>([
  grpcStatus.UNAVAILABLE,
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.RESOURCE_EXHAUSTED,
]);

/** Maps an unreachable Temporal to a 503 with Retry-After instead of a hang or a 500. */
export function toUnavailable(err: unknown): unknown {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const grpc = isGrpcServiceError(err) ? err : isGrpcServiceError(cause) ? cause : undefined;
  if (grpc && UNAVAILABLE_CODES.has(grpc.code)) {
    return HttpError.unavailable('The workflow service is temporarily unavailable', 2);
  }
  return err;
}

/**
 * The job id an idempotency key maps to: a UUID derived from (user, key), so the same user
 * retrying the same key always addresses the same workflow, and two users never collide.
 */
export function jobIdForIdempotencyKey(userId: string, key: string): string {
  const hex = createHash('sha256').update(`${userId}\n${key}`).digest('hex');
  // Shape it as an RFC 4122 UUID (version 8: custom, variant 10xx) so it passes id validation.
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The fair-share key of a user's jobs: the user id, or a digest when it exceeds Temporal's
 * 64-byte fairness-key limit; weighted when configured for that user.
 */
export function fairnessFor(userId: string, weights: Record<string, number>): FairnessSettings {
  const key =
    Buffer.byteLength(userId) <= 64 ? userId : createHash('sha256').update(userId).digest('hex');
  const weight = weights[userId];
  return weight === undefined ? { key } : { key, weight };
}
