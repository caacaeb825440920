import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  chatQuerySchema,
  conversationParamsSchema,
  conversationQuerySchema,
  conversationViewSchema,
  usageParamsSchema,
  userUsageViewSchema,
} from './agent-schemas';
import { errorSchema, jobIdParamsSchema, z } from './schemas';

const errorContent = { 'application/json': { schema: errorSchema } };

/** The `?wait=` query of `POST /chat`, for the chat path's registration. */
export const chatWaitQuery = chatQuerySchema;

/** Registers the agent endpoints: conversations, usage and the job event stream. */
export function registerAgentPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/chat/{job_id}/events',
    summary: 'Server-sent events of a job: status changes, text deltas as generated, done',
    description:
      'Events: `status` {status}, `delta` {call, text}, `approval_requested` (a pending approval), ' +
      '`approval_decided` {tool_use_id, decision?}, `done` (the job view). Event ids are ' +
      'positions `<call>.<offset>[.<kind>]`; reconnect with `Last-Event-ID` (or ?last_event_id=) ' +
      'to receive only what follows.',
    request: {
      params: jobIdParamsSchema,
      headers: z.object({ 'last-event-id': z.string().optional() }),
    },
    responses: {
      200: {
        description: 'text/event-stream',
        content: { 'text/event-stream': { schema: z.string() } },
      },
      400: { description: 'Malformed job id or Last-Event-ID', content: errorContent },
      404: { description: 'No such job', content: errorContent },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/conversations/{conversation_id}',
    summary: "A conversation's transcript with per-turn status (owner only)",
    request: { params: conversationParamsSchema, query: conversationQuerySchema },
    responses: {
      200: {
        description: 'The conversation',
        content: { 'application/json': { schema: conversationViewSchema } },
      },
      400: { description: 'Invalid conversation_id or user_id', content: errorContent },
      404: { description: 'No such conversation for this user', content: errorContent },
      503: {
        description: 'Temporal or the workflow workers unavailable; see Retry-After',
        content: errorContent,
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/users/{user_id}/usage',
    summary:
      'Token usage and estimated cost of a user (every job kind), counted once per model call',
    request: { params: usageParamsSchema },
    responses: {
      200: {
        description: 'Totals, and per model',
        content: { 'application/json': { schema: userUsageViewSchema } },
      },
      400: { description: 'Invalid user_id', content: errorContent },
      503: {
        description: 'The usage ledger (PostgreSQL or Temporal) unavailable; see Retry-After',
        content: errorContent,
      },
    },
  });
}
