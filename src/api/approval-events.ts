import type { JobView } from './schemas';

/** One SSE event about approvals. */
export interface ApprovalEvent {
  event: 'approval_requested' | 'approval_decided';
  data: Record<string, unknown>;
}

/**
 * Turns successive job views of one SSE stream into approval events: `approval_requested` (the
 * pending call, as in `pending_approvals`) when a call starts waiting, `approval_decided` when it
 * no longer waits (with its decision once the call's step is recorded). Derived from the views
 * the stream reads anyway: no extra Temporal call.
 */
export function createApprovalEventTracker(): (view: JobView) => ApprovalEvent[] {
  const waiting = new Set<string>();
  return (view) => {
    const events: ApprovalEvent[] = [];
    const now = new Set<string>();
    for (const pending of view.pending_approvals ?? []) {
      now.add(pending.tool_use_id);
      if (!waiting.has(pending.tool_use_id)) {
        events.push({ event: 'approval_requested', data: { ...pending } });
      }
    }
    for (const id of waiting) {
      if (now.has(id)) continue;
      const step = view.steps?.find((s) => s.type === 'tool_call' && s.tool_use_id === id);
      const approval = step?.type === 'tool_call' ? step.approval : undefined;
      events.push({
        event: 'approval_decided',
        data: { tool_use_id: id, ...(approval ? { ...approval } : {}) },
      });
    }
    waiting.clear();
    for (const id of now) waiting.add(id);
    return events;
  };
}
