/** zod schemas of the agent endpoints: conversations, usage, wait and the event stream. */
import { CONVERSATION_ID_PATTERN } from '../shared';
import { jobStatusSchema, usageSchema, z } from './schemas';

const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@:+-]+$/, 'letters, digits and . _ @ : + - only')
  .openapi({ example: 'alice' });

/**
 * `?wait=` of `POST /chat`: `10s`, `1500ms` or plain seconds (`10`, `0.5`). Longer waits than
 * MAX_WAIT_MS are capped to it (not refused): a client asking for more than we give still gets
 * a useful answer.
 */
export const chatQuerySchema = z.object({
  wait: z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s)?$/, 'a duration like 10s, 500ms or 10 (seconds)')
    .transform((text) => {
      const value = parseFloat(text);
      return text.endsWith('ms') ? value : value * 1000;
    })
    .optional()
    .openapi({
      description:
        'Wait up to this long for the job to finish (capped by MAX_WAIT_MS): 200 with the finished job, else the usual 202',
      example: '10s',
    }),
});

/** `GET /conversations/:conversation_id?user_id=`. */
export const conversationParamsSchema = z.object({
  conversation_id: z
    .string()
    .regex(CONVERSATION_ID_PATTERN, 'letters, digits, _ and - only (1-64 characters)')
    .openapi({ example: 'trip-planning' }),
});

/** Whose conversation (there is no authentication yet: the owner names themself). */
export const conversationQuerySchema = z.object({ user_id: userIdSchema.optional() });

/** `GET /users/:user_id/usage`. */
export const usageParamsSchema = z.object({ user_id: userIdSchema });

/** `GET /chat/:job_id/events` resume point (also accepted as `?last_event_id=`). */
export const lastEventIdSchema = z
  .string()
  .regex(/^\d+\.\d+(\.[a-z_]+)?$/, 'an event id received from this stream')
  .optional();

const turnViewSchema = z
  .object({
    turn: z.number().int(),
    job_id: z.string(),
    status: jobStatusSchema,
    message: z.string(),
    response: z.string().optional(),
    error: z.object({ type: z.string(), message: z.string() }).optional(),
    usage: usageSchema.optional(),
    model: z.string().optional(),
    cost_usd: z.number().optional(),
    tool_calls: z.number().int().optional(),
    compacted: z.boolean().optional().openapi({
      description: 'Message and response cut to a preview; the full text is in GET /chat/{job_id}',
    }),
    interrupted: z.boolean().optional().openapi({
      description: 'Stopped by a newer message sent with on_busy "interrupt" (status cancelled)',
    }),
    interrupted_by: z.string().optional().openapi({ description: "The newer message's job id" }),
    priority: z.number().int(),
    submitted_at: z.string(),
    started_at: z.string().optional(),
    completed_at: z.string().optional(),
  })
  .openapi('ConversationTurn');

/** `GET /conversations/:id` answer. */
export const conversationViewSchema = z
  .object({
    conversation_id: z.string(),
    user_id: z.string(),
    status: z.enum(['active', 'closed']),
    created_at: z.string(),
    closed_at: z.string().optional(),
    runs: z.number().int().openapi({ description: 'Workflow runs (continue-as-new and restarts)' }),
    usage: usageSchema,
    cost_usd: z.number(),
    turns: z.array(turnViewSchema),
  })
  .openapi('Conversation');

/** A conversation as clients see it. */
export type ConversationView = z.infer<typeof conversationViewSchema>;

const modelTotalsSchema = z.object({
  calls: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  cache_creation_input_tokens: z.number().int(),
  cache_read_input_tokens: z.number().int(),
  cost_usd: z.number().optional(),
});

/** `GET /users/:user_id/usage` answer. */
export const userUsageViewSchema = z
  .object({
    user_id: z.string(),
    jobs: z.number().int(),
    model_calls: z.number().int(),
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cache_creation_input_tokens: z.number().int(),
    cache_read_input_tokens: z.number().int(),
    cost_usd: z.number(),
    unpriced_models: z.boolean().optional(),
    by_model: z.record(z.string(), modelTotalsSchema),
    /**
     * Today (UTC) against the daily token budget: tokens are input + cache writes + output;
     * `budget` and `remaining` appear when a budget is configured.
     */
    today: z.object({
      date: z.string(),
      jobs: z.number().int(),
      tokens: z.number().int(),
      budget: z.number().int().optional(),
      remaining: z.number().int().optional(),
    }),
    updated_at: z.string().optional(),
  })
  .openapi('UserUsage');

/** A user's usage totals as clients see them. */
export type UserUsageView = z.infer<typeof userUsageViewSchema>;
