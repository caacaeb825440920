import { ApiError, call, readEvents, setUserId } from '../api.js';
import { curl, temporalUiLink, type View } from '../context.js';
import { badge, button, copyButton, details, h, json, replace, time } from '../dom.js';
import { errorBox } from '../errors.js';
import type { JobView, ModelCallStep, ToolCallStep } from '../types.js';
import { approvalControls } from './approval-controls.js';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

function tokens(usage: JobView['usage']): string {
  return usage ? `${usage.input_tokens} in / ${usage.output_tokens} out` : '';
}

function usd(cost: number | undefined): string {
  return cost === undefined ? '' : `$${cost.toFixed(6)}`;
}

function stepItem(step: ModelCallStep | ToolCallStep): HTMLLIElement {
  if (step.type === 'model_call') {
    return h(
      'li',
      { class: 'step model' },
      h('h4', {}, `Model call ${step.call + 1}: ${step.model}`),
      h(
        'p',
        { class: 'muted' },
        `attempt ${step.attempt}, ${tokens(step.usage)} tokens, ${usd(step.cost_usd)}, ` +
          `stop: ${step.stop_reason ?? 'none'}, ${step.duration_ms} ms`,
      ),
      step.text ? h('pre', { class: 'text' }, step.text) : null,
    );
  }
  return h(
    'li',
    { class: `step tool${step.is_error ? ' is-error' : ''}` },
    h('h4', {}, `Tool call: ${step.name}`, step.is_error ? ' (error)' : ''),
    h('p', { class: 'muted' }, `id ${step.tool_use_id}, ${step.duration_ms} ms`),
    h('div', {}, 'Input', json(step.input)),
    h('div', {}, 'Output', h('pre', { class: 'text' }, step.output)),
  );
}

/**
 * `#/jobs/:id`: the answer streaming from `/chat/:id/events`, the job's facts, its agent steps,
 * pending approvals, a Temporal Web UI link and a cancel button.
 */
export const jobView: View = (ctx, [jobId = '']) => {
  const abort = new AbortController();
  const statusEl = h('span', { id: 'job-status', 'aria-live': 'polite' }, badge('loading'));
  const answer = h('pre', { id: 'answer', class: 'answer', 'aria-live': 'polite' });
  const facts = h('div', { id: 'job-facts' });
  const approvals = h('div', { id: 'job-approvals' });
  const steps = h('ol', { id: 'job-steps', class: 'steps' });
  const notice = h('div', { id: 'job-notice' });
  let view: JobView | undefined;
  let liveCall = -1;

  const cancel = button('Cancel job', () => void doCancel(), { id: 'cancel', class: 'danger' });

  function render(next: JobView): void {
    // A read that started before the final event must not take the page back in time.
    if (view && FINAL.has(view.status) && !FINAL.has(next.status)) return;
    view = next;
    setUserId(next.user_id);
    replace(statusEl, badge(next.status));
    cancel.disabled = FINAL.has(next.status);
    if (FINAL.has(next.status) && next.response !== undefined) answer.textContent = next.response;
    replace(
      facts,
      details([
        ['User', next.user_id],
        ['Priority', String(next.priority)],
        ['Lane', next.lane],
        ['Attempts', String(next.attempts)],
        ['Error', next.error ? `${next.error.type}: ${next.error.message}` : undefined],
        ['Model', next.model],
        ['Fallback model used', next.model_fallback ? 'yes (Claude was overloaded)' : undefined],
        ['Stop reason', next.stop_reason ?? undefined],
        ['Tokens', tokens(next.usage)],
        ['Cost', usd(next.cost_usd)],
        ['Truncated', next.truncated ? 'yes' : undefined],
        [
          'Conversation',
          next.conversation_id
            ? h(
                'a',
                { href: `#/conversations/${encodeURIComponent(next.conversation_id)}` },
                `${next.conversation_id} (turn ${next.turn ?? '?'})`,
              )
            : undefined,
        ],
        ['Submitted', time(next.submitted_at)],
        ['Started', time(next.started_at)],
        ['Completed', time(next.completed_at)],
      ]),
    );
    replace(
      approvals,
      ...(next.pending_approvals ?? []).map((pending) =>
        approvalControls(next.job_id, pending, () => void refresh()),
      ),
    );
    replace(steps, ...(next.steps ?? []).map(stepItem));
  }

  async function refresh(): Promise<void> {
    try {
      render(await call<JobView>('GET', `/chat/${encodeURIComponent(jobId)}`));
    } catch (err) {
      if (!abort.signal.aborted) replace(notice, errorBox(err));
    }
  }

  async function doCancel(): Promise<void> {
    try {
      render(await call<JobView>('DELETE', `/chat/${encodeURIComponent(jobId)}`));
    } catch (err) {
      replace(notice, errorBox(err));
    }
  }

  /** Streams until the job is final; reconnects from the last event id if the stream drops. */
  async function stream(): Promise<void> {
    let last: string | undefined;
    for (let failures = 0; !abort.signal.aborted && !(view && FINAL.has(view.status));) {
      try {
        last = await readEvents(
          jobId,
          last,
          (event) => {
            const data = JSON.parse(event.data) as Record<string, unknown>;
            if (event.event === 'delta') {
              const call = Number(data.call ?? 0);
              // A new model call of an agent job: the earlier one is now a recorded step.
              if (call !== liveCall && liveCall >= 0) {
                answer.textContent += '\n\n';
                void refresh();
              }
              liveCall = call;
              answer.textContent += typeof data.text === 'string' ? data.text : '';
              // How many pieces arrived live (the browser test reads it).
              answer.dataset.deltas = String(Number(answer.dataset.deltas ?? 0) + 1);
            } else if (event.event === 'done') {
              render(data as unknown as JobView);
            } else {
              // status, approval_requested and any later event kinds: re-read the job.
              if (typeof data.status === 'string') replace(statusEl, badge(data.status));
              void refresh();
            }
          },
          abort.signal,
        );
        failures = 0;
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
          replace(notice, errorBox(err));
          return;
        }
        failures += 1;
        if (failures > 5) {
          replace(notice, errorBox(err));
          return;
        }
      }
      if (!(view && FINAL.has(view.status))) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  const uiLink = h(
    'a',
    { href: temporalUiLink(jobId), target: '_blank', rel: 'noopener', id: 'temporal-link' },
    'Open in the Temporal Web UI',
  );
  replace(
    ctx.root,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'job-title' },
      h(
        'h2',
        { id: 'job-title' },
        'Job ',
        h('code', { class: 'id' }, jobId),
        ' ',
        copyButton(jobId, 'job id'),
      ),
      h('div', { class: 'row' }, statusEl, cancel, uiLink),
      h(
        'p',
        { class: 'curl' },
        'curl: ',
        copyButton(curl(ctx, 'GET', `/chat/${encodeURIComponent(jobId)}`), 'curl command'),
      ),
      notice,
      h('h3', {}, 'Answer'),
      answer,
      approvals,
      h('h3', {}, 'Details'),
      facts,
      h('h3', {}, 'Agent steps'),
      steps,
    ),
  );
  void refresh().then(() => stream());
  return () => abort.abort();
};
