/** One invalid field of a request. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * The only error type routes throw for client-visible failures. The error handler turns it into
 * `{error, message, details?}` with its status; anything else becomes a bare 500 without internals.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** Stable machine-readable code, e.g. "validation_error". */
    readonly code: string,
    message: string,
    readonly details?: FieldError[],
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
    /** Extra fields of the JSON answer, e.g. the `running_job_id` of a busy conversation. */
    readonly extra?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  /** 400 naming each invalid field. */
  static validation(details: FieldError[]): HttpError {
    return new HttpError(400, 'validation_error', 'The request is invalid', details);
  }

  static notFound(what: string): HttpError {
    return new HttpError(404, 'not_found', `${what} not found`);
  }

  /** 503 with Retry-After: the dependency is down; the client should come back. */
  static unavailable(message: string, retryAfterSeconds: number): HttpError {
    return new HttpError(503, 'unavailable', message, undefined, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}
