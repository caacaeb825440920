/**
 * Validation of `POST /v1/messages` bodies, close enough to the real API that a malformed request
 * from our own code fails here the same way it would fail in production (400 naming the field).
 * Unknown extra fields are accepted, because the real API keeps adding parameters.
 */
import { z } from 'zod';

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });

const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
});

const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z
    .union([z.string(), z.array(z.looseObject({ type: z.string() }))])
    .optional()
    .nullable(),
  is_error: z.boolean().optional().nullable(),
});

const KNOWN_BLOCKS: Record<string, z.ZodType> = {
  text: textBlock,
  tool_use: toolUseBlock,
  tool_result: toolResultBlock,
};

/**
 * A content block: any `type` is accepted (images, documents, thinking...), but the blocks the
 * fake interprets are checked field by field so the error names e.g. `messages.0.content.1.text`.
 */
const contentBlock = z.looseObject({ type: z.string() }).superRefine((block, ctx) => {
  const schema = KNOWN_BLOCKS[block.type];
  if (!schema) return;
  const result = schema.safeParse(block);
  if (result.success) return;
  for (const issue of result.error.issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  }
});

const message = z.looseObject({
  // 'system' messages are accepted because SDK 1.x can send them inline.
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlock)]),
});

const tool = z.looseObject({ name: z.string().min(1) });

/** Schema of a Messages API request body. */
export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(message).min(1),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  stream: z.boolean().optional(),
  tools: z.array(tool).optional(),
  tool_choice: z.looseObject({ type: z.string() }).optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  stop_sequences: z.array(z.string()).optional(),
});

/** A validated request body. */
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

/** A validated message. */
export type RequestMessage = MessagesRequest['messages'][number];

/** Outcome of {@link parseMessagesRequest}. */
export type ParsedRequest = { ok: true; value: MessagesRequest } | { ok: false; message: string };

/**
 * Parse and validate a raw body.
 *
 * @returns the request, or an error message in the real API's style (`field.path: problem`).
 */
export function parseMessagesRequest(raw: string): ParsedRequest {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return {
      ok: false,
      message: `There was an error parsing the body of your request: ${(err as Error).message}`,
    };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, message: 'Request body must be a JSON object' };
  }
  const result = messagesRequestSchema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const details = result.error.issues
    .slice(0, 5)
    .map(
      (issue) =>
        `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)'}: ${issue.message}`,
    );
  return { ok: false, message: details.join('; ') };
}
