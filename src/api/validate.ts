import type { z } from 'zod';
import { HttpError, type FieldError } from './http-error';

/** Turns zod issues into field errors: `details: [{field, message}]`. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
}

/** Parses `value` with `schema` or throws a 400 naming every invalid field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw HttpError.validation(fieldErrors(result.error));
  return result.data;
}
