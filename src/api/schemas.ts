import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  CONVERSATION_ID_PATTERN,
  CONVERSATION_JOB_ID_PATTERN,
  PRIORITY_NAMES,
  type PriorityLevel,
} from '../shared';
import {
  pendingApprovalSchema,
  requireApprovalSchema,
  stepApprovalSchema,
} from './approval-schemas';

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
      .optional()
      .openapi({
        example: 'alice',
        description:
          "Required without API keys; with a key it defaults to (and must equal) the key's user",
      }),
    message: z
      .string()
      .refine((text) => text.trim().length > 0, 'must not be empty')
      .openapi({ example: 'What is 25 * 17?' }),
    priority: prioritySchema.optional(),
    model: z.string().min(1).max(100).optional().openapi({
      description: 'One of the models the operator allows (ALLOWED_MODELS); default CLAUDE_MODEL',
    }),
    max_tokens: z.number().int().positive().optional().openapi({
      description: 'Output token budget, at most the configured CLAUDE_MAX_TOKENS',
    }),
    timeout_s: z.number().positive().optional().openapi({
      description:
        'Overall deadline of the job in seconds (at most the configured JOB_DEADLINE_MS)',
    }),
    conversation_id: z
      .string()
      .regex(CONVERSATION_ID_PATTERN, 'letters, digits, _ and - only (1-64 characters)')
      .optional()
      .openapi({
        description:
          'Append the message to this conversation of the user (created on first use); its turns are answered one at a time, in order',
        example: 'trip-planning',
      }),
    max_cost_usd: z.number().positive().optional().openapi({
      description:
        'Agent jobs and conversation turns: stop before a model call whose worst case (estimated input plus max_tokens output, at the price table\'s prices) would take the job\'s cost past this many US dollars; the job then ends with stop_reason "cost_cap" and its text so far, or fails with CostCapExceeded when it has none. Ignored by plain chat jobs',
      example: 0.05,
    }),
    callback_url: z.url().max(2048).optional().openapi({
      description:
        'POST the finished job (this view, signed per Standard Webhooks) to this URL; it must start with one of WEBHOOK_ALLOWED_URL_PREFIXES (webhooks are off without them)',
      example: 'https://hooks.example.com/agent-fleet',
    }),
    on_busy: z.enum(['enqueue', 'reject', 'interrupt', 'rollback']).optional().openapi({
      description:
        'Conversation turns: what to do if a turn is running or waiting. enqueue (default): wait behind it; reject: 409 naming the running job; interrupt: cancel it, kept in the transcript marked interrupted; rollback: cancel it and remove it from the transcript',
    }),
    tools: z.boolean().optional().openapi({
      description:
        'Let the model call tools (calculator, current_time, word_count). Default: true in a conversation, false for a single message',
    }),
    require_approval: requireApprovalSchema,
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
  // A uuid, or `conv~<user>~<conversation>~<uuid>` for a conversation turn.
  job_id: z
    .string()
    .refine(
      (id) => z.uuid().safeParse(id).success || CONVERSATION_JOB_ID_PATTERN.test(id),
      'must be a job id returned by POST /chat',
    )
    .openapi({ example: '6f1c3c2e-5b1e-4a8e-9d2a-1f0e9a7b3c4d' }),
});

export const jobStatusSchema = z
  .enum(['queued', 'processing', 'awaiting_approval', 'completed', 'failed', 'cancelled'])
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

/** Delivery of a job's completion webhook (jobs submitted with `callback_url` only). */
export const webhookStatusSchema = z
  .object({
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    last_error: z.string().optional(),
  })
  .openapi('WebhookStatus', {
    description: 'Completion webhook: delivery attempts so far and the last failure',
  });

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
    model_fallback: z.boolean().optional().openapi({
      description: 'Claude was overloaded and the configured fallback model (`model`) answered',
    }),
    stop_reason: z.string().nullable().optional(),
    cost_usd: z
      .number()
      .optional()
      .openapi({ description: 'Estimated cost from the price table (absent for unpriced models)' }),
    conversation_id: z.string().optional(),
    turn: z.number().int().optional(),
    steps: z
      .array(
        z.union([
          z.object({
            type: z.literal('model_call'),
            call: z.number().int(),
            text: z.string(),
            model: z.string(),
            stop_reason: z.string().nullable(),
            usage: usageSchema,
            cost_usd: z.number().optional(),
            attempt: z.number().int(),
            started_at: z.string(),
            completed_at: z.string(),
            duration_ms: z.number(),
            text_chars: z
              .number()
              .int()
              .optional()
              .openapi({ description: 'Length of the full text when `text` is a preview' }),
            truncated: z.literal(true).optional().openapi({
              description: 'The job keeps previews: the full text is in the transcript store',
            }),
          }),
          z.object({
            type: z.literal('tool_call'),
            call: z.number().int(),
            tool_use_id: z.string(),
            name: z.string(),
            input: z.unknown(),
            output: z.string(),
            is_error: z.boolean(),
            started_at: z.string(),
            completed_at: z.string(),
            duration_ms: z.number(),
            output_chars: z.number().int().optional().openapi({
              description:
                'Length of the full output (sent to the model) when `output` is a preview',
            }),
            truncated: z.literal(true).optional().openapi({
              description: 'The job keeps previews: the full text is in the transcript store',
            }),
            approval: stepApprovalSchema.optional(),
          }),
        ]),
      )
      .optional()
      .openapi({ description: 'Agent jobs: each model call and tool call, in order' }),
    pending_approvals: z.array(pendingApprovalSchema).optional().openapi({
      description: 'Tool calls waiting for a decision (status awaiting_approval)',
    }),
    webhook: webhookStatusSchema.optional(),
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
