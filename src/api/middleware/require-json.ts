import type { RequestHandler } from 'express';
import { HttpError } from '../http-error';

/** 415 unless the request declares a JSON body; checked before the body is read. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    next(new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json'));
    return;
  }
  next();
};
