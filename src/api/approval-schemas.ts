/** zod schemas of human approval of tool calls: the request field, the endpoints, the views. */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// This module is imported by schemas.ts before that file extends zod: extend it here too
// (idempotent), so `.openapi()` exists whichever module loads first.
extendZodWithOpenApi(z);

/** A tool name as the registry spells it (checked against the registry by the route). */
const toolNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a tool name');

/** `require_approval` of `POST /chat`: every tool (`true`) or the named ones. */
export const requireApprovalSchema = z
  .union([z.boolean(), z.array(toolNameSchema).min(1).max(64)])
  .optional()
  .openapi({
    description:
      'Tool calls that wait for a human decision (POST /chat/{job_id}/approvals) before they run: `true` = every tool, or a list of tool names. Added to the tools that require approval by default (TOOLS_REQUIRING_APPROVAL). Agent jobs and conversation turns only',
    example: ['calculator'],
  });

/** Body of `POST /chat/:job_id/approvals`. */
export const approvalDecisionSchema = z
  .object({
    tool_use_id: z.string().min(1).max(200).openapi({ example: 'toolu_01A2B3' }),
    decision: z.enum(['approve', 'deny']),
    reason: z.string().max(2_000).optional().openapi({
      description: 'Told to the model with a denial (and kept in the tool call step)',
    }),
  })
  .openapi('ApprovalDecision');

/** One tool call waiting for a decision. */
export const pendingApprovalSchema = z
  .object({
    tool_use_id: z.string(),
    tool: z.string(),
    input: z.unknown(),
    requested_at: z.string().openapi({ format: 'date-time' }),
    expires_at: z.string().openapi({
      format: 'date-time',
      description: 'Then the call is decided by APPROVAL_TIMEOUT_DECISION (default: denied)',
    }),
  })
  .openapi('PendingApproval');

/** The decision a tool call waited for, in its step. */
export const stepApprovalSchema = z.object({
  decision: z.enum(['approve', 'deny']),
  reason: z.string().optional(),
  decided_by: z.string().optional(),
  decided_at: z.string(),
  timed_out: z.boolean().optional(),
});

/** `GET /approvals` answer. */
export const approvalsListSchema = z
  .object({
    jobs: z.array(
      z.object({
        job_id: z.string(),
        user_id: z.string(),
        conversation_id: z.string().optional(),
        pending_approvals: z.array(pendingApprovalSchema),
      }),
    ),
  })
  .openapi('Approvals');

/** `GET /approvals?user_id=`: admins (and open mode) may name a user. */
export const approvalsQuerySchema = z.object({
  user_id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._@:+-]+$/, 'letters, digits and . _ @ : + - only')
    .optional(),
});
