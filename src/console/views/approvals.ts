import { call } from '../api.js';
import type { View } from '../context.js';
import { h, jobLink, replace } from '../dom.js';
import { errorBox } from '../errors.js';
import type { ApprovalsView } from '../types.js';
import { approvalControls } from './approval-controls.js';

const REFRESH_MS = 3000;

/**
 * `#/approvals`: jobs waiting for a person (`GET /approvals`), each pending tool call with its
 * input, approve and deny buttons and an optional reason.
 */
export const approvalsView: View = (ctx) => {
  const list = h('div', { id: 'approvals' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  // Re-rendering while someone types a reason would lose it: only redraw when the set changes.
  let shown = '';

  async function refresh(): Promise<void> {
    clearTimeout(timer);
    try {
      const view = await call<ApprovalsView>('GET', '/approvals');
      if (stopped) return;
      const key = JSON.stringify(
        view.jobs.map((j) => j.pending_approvals.map((p) => p.tool_use_id)),
      );
      if (key !== shown) {
        shown = key;
        replace(
          list,
          view.jobs.length === 0
            ? h('p', { id: 'no-approvals' }, 'Nothing is waiting for you.')
            : null,
          ...view.jobs.map((job) =>
            h(
              'article',
              { class: 'approval-job', 'data-job-id': job.job_id },
              h('h3', {}, 'Job ', jobLink(job.job_id), ` by ${job.user_id}`),
              ...job.pending_approvals.map((pending) =>
                approvalControls(job.job_id, pending, () => void refresh()),
              ),
            ),
          ),
        );
      }
    } catch (err) {
      shown = '';
      replace(list, errorBox(err));
    }
    if (!stopped) timer = setTimeout(() => void refresh(), REFRESH_MS);
  }

  replace(
    ctx.root,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'approvals-title' },
      h('h2', { id: 'approvals-title' }, 'Approvals'),
      list,
    ),
  );
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
