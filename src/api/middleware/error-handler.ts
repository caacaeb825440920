import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HttpError } from '../http-error';

/** Errors raised by express's JSON body parser carry these fields. */
interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** Translates body-parser failures into our HttpError vocabulary. */
function fromBodyParser(err: BodyParserError): HttpError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return new HttpError(
        413,
        'payload_too_large',
        `The request body exceeds ${err.limit ?? 'the limit of'} bytes`,
      );
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'The request body is not valid JSON', [
        { field: '(body)', message: 'malformed JSON' },
      ]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', 'Unsupported body encoding or charset');
    case 'request.aborted':
      return new HttpError(400, 'request_aborted', 'The request was aborted');
    default:
      // Other client errors raised by express itself (e.g. a path parameter that is not valid
      // percent-encoding) carry a 4xx status; their text is not for clients.
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        return new HttpError(err.status, 'bad_request', 'The request is malformed');
      }
      return undefined;
  }
}

/**
 * The last middleware: every error becomes `{error, message, details?}`. Unexpected errors are
 * logged with their stack and answered with a bare 500 — never internals, never a stack.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const httpError = err instanceof HttpError ? err : fromBodyParser(err as BodyParserError);
    if (httpError) {
      if (httpError.headers) res.set(httpError.headers);
      res.status(httpError.status).json({
        error: httpError.code,
        message: httpError.message,
        ...(httpError.details ? { details: httpError.details } : {}),
        ...(httpError instanceof HttpError ? httpError.extra : {}),
      });
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: 'internal_error', message: 'Internal server error' });
  };
}

/** 404 for any route we do not serve. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};
