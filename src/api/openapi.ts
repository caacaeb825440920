import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import {
  chatHeadersSchema,
  chatAcceptedSchema,
  chatRequestSchema,
  errorSchema,
  jobIdParamsSchema,
  jobViewSchema,
} from './schemas';
import { chatWaitQuery, registerAgentPaths } from './agent-openapi';
import { registerApprovalPaths } from './approval-openapi';

const errorContent = { 'application/json': { schema: errorSchema } };

/**
 * The OpenAPI document, generated from the same zod schemas that validate requests so the
 * contract and its documentation cannot drift apart.
 */
export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerPath({
    method: 'post',
    path: '/chat',
    summary: 'Submit a chat job',
    request: {
      query: chatWaitQuery,
      headers: chatHeadersSchema,
      body: { required: true, content: { 'application/json': { schema: chatRequestSchema } } },
    },
    responses: {
      200: {
        description:
          'Idempotent retry: the job this Idempotency-Key already started; with ?wait=, the finished job (Job schema)',
        content: { 'application/json': { schema: chatAcceptedSchema } },
      },
      202: {
        description: 'Accepted; poll the Location',
        headers: { Location: { schema: { type: 'string' }, description: '/chat/{job_id}' } },
        content: { 'application/json': { schema: chatAcceptedSchema } },
      },
      400: { description: 'Invalid field or malformed JSON', content: errorContent },
      409: { description: 'Idempotency-Key reused with a different body', content: errorContent },
      413: { description: 'Body or message too large', content: errorContent },
      429: { description: 'Per-user active-job cap; see Retry-After', content: errorContent },
      415: { description: 'Content-Type is not application/json', content: errorContent },
      503: {
        description:
          '`overloaded`: in-flight workflow starts at the adaptive start limit (answered at once, ' +
          'Retry-After: 1) or backlog past the limit; `unavailable`: Temporal did not answer ' +
          'within TEMPORAL_RPC_TIMEOUT_MS. Nothing was started unless the answer was lost to the ' +
          'deadline: retry with the same Idempotency-Key. See Retry-After',
        content: errorContent,
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/chat/{job_id}',
    summary: 'Read a chat job',
    request: { params: jobIdParamsSchema },
    responses: {
      200: {
        description:
          'The job. A running plain chat job is read from one describe (no workflow query); ' +
          'concurrent polls share it, reused for POLL_REUSE_MS',
        content: { 'application/json': { schema: jobViewSchema } },
      },
      400: { description: 'Malformed job id', content: errorContent },
      404: { description: 'No such job', content: errorContent },
      503: { description: 'Temporal unavailable; see Retry-After', content: errorContent },
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/chat/{job_id}',
    summary: 'Cancel a chat job (aborts the in-flight model call)',
    request: { params: jobIdParamsSchema },
    responses: {
      200: { description: 'Cancelled', content: { 'application/json': { schema: jobViewSchema } } },
      202: {
        description: 'Cancellation requested, not yet confirmed',
        content: { 'application/json': { schema: jobViewSchema } },
      },
      404: { description: 'No such job', content: errorContent },
      409: { description: 'The job already finished', content: errorContent },
      503: { description: 'Temporal unavailable; see Retry-After', content: errorContent },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/queues',
    summary: 'Task-queue backlog, dispatch rate, pollers, limits and admission state',
    responses: {
      200: {
        description:
          'Queue and admission state (sampled, cached ~1 s), including admission.start_limit: ' +
          '{limit, in_flight, min_rtt_ms, refusals} of the adaptive start limit, and ' +
          'awaiting_approval: running jobs waiting for a human decision on a tool call',
      },
      503: { description: 'Temporal could not be read; see Retry-After', content: errorContent },
    },
  });
  registerAgentPaths(registry);
  registerApprovalPaths(registry);
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    responses: { 200: { description: 'The process is alive' } },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness (Temporal reachable)',
    responses: {
      200: { description: 'Ready' },
      503: { description: 'Temporal unreachable; see Retry-After', content: errorContent },
    },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Agent Fleet API', version: '0.1.0' },
  });
}
