import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { PRIORITY_NAMES, type PriorityLevel } from '../shared';

// Adds `.openapi()` to zod schemas so /openapi.json is generated from these very validators.
extendZodWithOpenApi(z);

/** `priority`: 1|2|3 or "high"|"medium"|"normal" (1 = high), as in the replaced design. */
export const prioritySchema = z
  .union([z.literal(1), z.literal(2), z.literal(3), z.enum(['high', 'medium', 'normal'])])
  .transform((value): PriorityLevel => (typeof value === 'number' ? value : PRIORITY_NAMES[value]))
  .openapi({ description: '1|"high", 2|"medium", 3|"normal" (default normal)', example: 'normal' });

/** Body of `POST /chat`. */
export const chatRequestSchema = z
  .object({
    user_id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._@:+-]+$/, 'letters, digits and . _ @ : + - only')
      .openapi({ example: 'alice' }),
    message: z
      .string()
      .refine((text) => text.trim().length > 0, 'must not be empty')
      .openapi({ example: 'What is 25 * 17?' }),
    priority: prioritySchema.optional(),
    timeout_s: z.number().positive().optional().openapi({
      description:
        'Overall deadline of the job in seconds (at most the configured JOB_DEADLINE_MS)',
    }),
  })
  .openapi('ChatRequest');

/** Request headers the chat endpoints read. */
export const chatHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces, 1-255 characters')
    .optional()
    .openapi({ description: 'Retrying a POST with the same key returns the same job (per user)' }),
});

/** Parsed `POST /chat` body. */
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** Path parameter of the job endpoints. */
export const jobIdParamsSchema = z.object({
  job_id: z
    .uuid('must be a job id returned by POST /chat')
    .openapi({ example: '6f1c3c2e-5b1e-4a8e-9d2a-1f0e9a7b3c4d' }),
});

export const jobStatusSchema = z
  .enum(['queued', 'processing', 'completed', 'failed', 'cancelled'])
  .openapi('JobStatus');

/** `202` answer of `POST /chat`. */
export const chatAcceptedSchema = z
  .object({
    job_id: z.string(),
    status: jobStatusSchema,
    submitted_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('ChatAccepted');

export const usageSchema = z
  .object({
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cache_creation_input_tokens: z.number().int().optional(),
    cache_read_input_tokens: z.number().int().optional(),
  })
  .openapi('Usage');

/** `GET /chat/:job_id` answer. */
export const jobViewSchema = z
  .object({
    job_id: z.string(),
    user_id: z.string(),
    status: jobStatusSchema,
    response: z.string().optional(),
    error: z.object({ type: z.string(), message: z.string() }).optional(),
    usage: usageSchema.optional(),
    model: z.string().optional(),
    attempts: z.number().int(),
    priority: z.number().int().min(1).max(3),
    submitted_at: z.string().openapi({ format: 'date-time' }),
    started_at: z.string().optional().openapi({ format: 'date-time' }),
    completed_at: z.string().optional().openapi({ format: 'date-time' }),
    truncated: z
      .boolean()
      .optional()
      .openapi({ description: 'The reply was cut to the configured maximum' }),
  })
  .openapi('Job');

/** A job as clients see it. */
export type JobView = z.infer<typeof jobViewSchema>;

/** Every error answer. */
export const errorSchema = z
  .object({
    error: z.string().openapi({ example: 'validation_error' }),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Error');

export { z };
