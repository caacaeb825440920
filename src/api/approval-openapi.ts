import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  approvalDecisionSchema,
  approvalsListSchema,
  approvalsQuerySchema,
} from './approval-schemas';
import { errorSchema, jobIdParamsSchema, jobViewSchema } from './schemas';

const errorContent = { 'application/json': { schema: errorSchema } };

/** Registers the approval endpoints (docs/approvals.md). */
export function registerApprovalPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/chat/{job_id}/approvals',
    summary: 'Approve or deny one tool call waiting for a decision (the job owner or an admin)',
    description:
      'The job must list the call in `pending_approvals` (status `awaiting_approval`). A denial ' +
      'reaches the model as a tool error with the reason; an approved call runs at once.',
    request: {
      params: jobIdParamsSchema,
      body: { content: { 'application/json': { schema: approvalDecisionSchema } } },
    },
    responses: {
      200: {
        description: 'Decided: the job as it is now',
        content: { 'application/json': { schema: jobViewSchema } },
      },
      400: { description: 'Invalid body (names the field)', content: errorContent },
      404: { description: 'No such job for this caller', content: errorContent },
      409: {
        description: 'The call is unknown, already decided, or the job has finished',
        content: errorContent,
      },
      503: {
        description: 'Temporal or the workers unavailable; see Retry-After',
        content: errorContent,
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/approvals',
    summary: "The caller's jobs waiting for a decision (an admin's: every user's)",
    request: { query: approvalsQuerySchema },
    responses: {
      200: {
        description: 'Jobs with their waiting tool calls (at most 100)',
        content: { 'application/json': { schema: approvalsListSchema } },
      },
      400: { description: 'Invalid user_id', content: errorContent },
      503: { description: 'Temporal unavailable; see Retry-After', content: errorContent },
    },
  });
}
