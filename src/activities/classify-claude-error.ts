import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType, type FailureTypeName } from '../shared';
import { parseRetryAfterMs, type HeaderReader } from './retry-after';

/** The fields of an SDK `APIError` we read, typed (the SDK's generics default to `any`). */
interface ApiErrorFields {
  status: number | undefined;
  headers: HeaderReader | undefined;
  body: unknown;
  message: string;
}

/** Reads an SDK `APIError`'s fields, or undefined for any other error. */
function apiErrorFields(err: unknown): ApiErrorFields | undefined {
  if (!(err instanceof Anthropic.APIError)) return undefined;
  const fields = err as { status?: unknown; headers?: unknown; error?: unknown; message: string };
  return {
    status: typeof fields.status === 'number' ? fields.status : undefined,
    headers: fields.headers ? (fields.headers as HeaderReader) : undefined,
    body: fields.error,
    message: fields.message,
  };
}

/** How one class of model-call error is treated. */
interface Classification {
  type: FailureTypeName;
  retryable: boolean;
  /** Honour the server's retry-after header for this class. */
  honourRetryAfter: boolean;
}

/**
 * The single table of model-call failures, by HTTP status. Statuses not listed fall back to
 * "5xx = server error, anything else = unknown (retried)".
 */
const BY_STATUS: Readonly<Record<number, Classification>> = {
  400: { type: FailureType.ClaudeInvalidRequest, retryable: false, honourRetryAfter: false },
  401: { type: FailureType.ClaudeAuthentication, retryable: false, honourRetryAfter: false },
  403: { type: FailureType.ClaudePermissionDenied, retryable: false, honourRetryAfter: false },
  404: { type: FailureType.ClaudeInvalidRequest, retryable: false, honourRetryAfter: false },
  408: { type: FailureType.ClaudeTransient, retryable: true, honourRetryAfter: true },
  409: { type: FailureType.ClaudeTransient, retryable: true, honourRetryAfter: true },
  413: { type: FailureType.ClaudeInvalidRequest, retryable: false, honourRetryAfter: false },
  422: { type: FailureType.ClaudeInvalidRequest, retryable: false, honourRetryAfter: false },
  429: { type: FailureType.ClaudeRateLimited, retryable: true, honourRetryAfter: true },
  529: { type: FailureType.ClaudeOverloaded, retryable: true, honourRetryAfter: true },
};

/** Error `type`s that can arrive in an SSE `error` event, where there is no HTTP status. */
const BY_ERROR_TYPE: Readonly<Record<string, Classification>> = {
  overloaded_error: BY_STATUS[529] as Classification,
  rate_limit_error: BY_STATUS[429] as Classification,
  api_error: { type: FailureType.ClaudeServerError, retryable: true, honourRetryAfter: false },
  invalid_request_error: BY_STATUS[400] as Classification,
  authentication_error: BY_STATUS[401] as Classification,
  permission_error: BY_STATUS[403] as Classification,
};

const SERVER_ERROR: Classification = {
  type: FailureType.ClaudeServerError,
  retryable: true,
  honourRetryAfter: true,
};
const UNKNOWN: Classification = {
  type: FailureType.ClaudeUnknown,
  retryable: true,
  honourRetryAfter: false,
};
const SPEND_LIMIT: Classification = {
  type: FailureType.ClaudeSpendLimit,
  retryable: false,
  honourRetryAfter: false,
};

/** A 429 or 400 about money, not pace: retrying cannot succeed until someone pays. */
const SPEND_LIMIT_PATTERN = /spend limit|usage limit|credit balance|billing/i;

/**
 * A connection cut in the middle of a streamed body surfaces from fetch as a plain error
 * ("terminated", "other side closed", ECONNRESET) rather than an SDK connection error.
 */
const CONNECTION_DROP_PATTERN =
  /terminated|other side closed|socket hang up|ECONNRESET|EPIPE|fetch failed/i;

/** The `error.type` inside an Anthropic error body, if present. */
function apiErrorType(err: ApiErrorFields): string | undefined {
  const body = err.body as { error?: { type?: unknown } } | undefined;
  return typeof body?.error?.type === 'string' ? body.error.type : undefined;
}

function classifyApiError(err: ApiErrorFields): Classification {
  if ((err.status === 429 || err.status === 400) && SPEND_LIMIT_PATTERN.test(err.message)) {
    return SPEND_LIMIT;
  }
  if (err.status !== undefined) {
    return BY_STATUS[err.status] ?? (err.status >= 500 ? SERVER_ERROR : UNKNOWN);
  }
  const type = apiErrorType(err);
  return (
    (type ? BY_ERROR_TYPE[type] : undefined) ?? {
      type: FailureType.ClaudeConnection,
      retryable: true,
      honourRetryAfter: false,
    }
  );
}

/** The message shown to clients: the API's own words without request ids or stack traces. */
function publicMessage(err: unknown): string {
  const api = apiErrorFields(err);
  if (api) {
    const body = api.body as { error?: { message?: unknown } } | undefined;
    const message = typeof body?.error?.message === 'string' ? body.error.message : api.message;
    return api.status ? `Claude API ${api.status}: ${message}` : `Claude API: ${message}`;
  }
  return err instanceof Error ? err.message : 'Unknown model-call error';
}

/** The message of an error's cause, if it has one. */
function causeText(err: Error): string {
  return err.cause instanceof Error
    ? `${err.cause.message} ${(err.cause as { code?: string }).code ?? ''}`
    : '';
}

/**
 * Turns any error thrown while calling Claude into an `ApplicationFailure` with an explicit type,
 * the retryability from the table above, and — for 429/529 — the server's retry-after as
 * `nextRetryDelay`, so Temporal (the only retrier) waits exactly as long as Claude asked.
 */
export function classifyClaudeError(err: unknown, attempt: number): ApplicationFailure {
  let classification: Classification;
  let nextRetryDelay: number | undefined;
  const api = apiErrorFields(err);
  if (err instanceof Anthropic.APIConnectionTimeoutError) {
    classification = { type: FailureType.ClaudeTimeout, retryable: true, honourRetryAfter: false };
  } else if (err instanceof Anthropic.APIConnectionError) {
    classification = {
      type: FailureType.ClaudeConnection,
      retryable: true,
      honourRetryAfter: false,
    };
  } else if (api) {
    classification = classifyApiError(api);
    if (classification.honourRetryAfter) {
      const asked = parseRetryAfterMs(api.headers);
      // A zero delay would reach the server as "no delay set"; let the backoff decide instead.
      nextRetryDelay = asked !== undefined && asked > 0 ? asked : undefined;
    }
  } else if (
    err instanceof Error &&
    CONNECTION_DROP_PATTERN.test(`${err.message} ${causeText(err)}`)
  ) {
    classification = {
      type: FailureType.ClaudeConnection,
      retryable: true,
      honourRetryAfter: false,
    };
  } else {
    classification = UNKNOWN;
  }
  return ApplicationFailure.create({
    type: classification.type,
    message: publicMessage(err),
    nonRetryable: !classification.retryable,
    nextRetryDelay,
    details: [{ attempt, status: api?.status ?? null }],
  });
}
