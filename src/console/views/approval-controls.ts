import { call } from '../api.js';
import { button, field, h, json, replace, time } from '../dom.js';
import { errorBox } from '../errors.js';
import type { PendingApproval } from '../types.js';

/**
 * One pending tool call with its input, an optional reason and approve / deny buttons, posting
 * `POST /chat/:job_id/approvals`. `onDecided` runs after the API accepted the decision.
 */
export function approvalControls(
  jobId: string,
  pending: PendingApproval,
  onDecided: () => void,
): HTMLElement {
  const reason = h('input', {
    id: `reason-${pending.tool_use_id}`,
    name: 'reason',
    class: 'reason',
  });
  const result = h('div', { 'aria-live': 'polite' });
  const decide = async (decision: 'approve' | 'deny') => {
    try {
      await call('POST', `/chat/${encodeURIComponent(jobId)}/approvals`, {
        tool_use_id: pending.tool_use_id,
        decision,
        ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
      });
      replace(result, decision === 'approve' ? 'Approved' : 'Denied');
      onDecided();
    } catch (err) {
      replace(result, errorBox(err));
    }
  };
  return h(
    'div',
    { class: 'approval', 'data-tool-use-id': pending.tool_use_id },
    h('h4', {}, `Tool call: ${pending.tool}`),
    json(pending.input),
    h(
      'p',
      { class: 'muted' },
      `Requested ${time(pending.requested_at)}`,
      pending.expires_at ? `, expires ${time(pending.expires_at)}` : '',
    ),
    field(`Reason (optional) for ${pending.tool}`, reason),
    h(
      'div',
      { class: 'row' },
      button('Approve', () => void decide('approve'), { class: 'approve' }),
      button('Deny', () => void decide('deny'), { class: 'deny' }),
    ),
    result,
  );
}
