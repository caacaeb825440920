import { call } from '../api.js';
import type { View } from '../context.js';
import { h, replace, time } from '../dom.js';
import { errorBox } from '../errors.js';
import type { QueuesView } from '../types.js';
import { drawBacklogChart, type BacklogSample } from './backlog-chart.js';

const REFRESH_MS = 2000;
const WINDOW_MS = 5 * 60_000;

/** Samples survive leaving and re-entering the view within the page's life. */
const samples: BacklogSample[] = [];

function admissionText(view: QueuesView): HTMLElement {
  const { admission } = view;
  const refused = Object.entries(admission.admitting)
    .filter(([, admitting]) => !admitting)
    .map(([priority]) => priority);
  const limits = Object.entries(admission.limits)
    .map(([priority, limit]) => `${priority} ≤ ${limit}`)
    .join(', ');
  const state =
    refused.length === 0
      ? h('p', { id: 'admission-state', class: 'ok' }, 'Admitting all priorities.')
      : h(
          'p',
          { id: 'admission-state', class: 'refusing' },
          `Refusing ${refused.join(', ')} priority work now: the backlog is ${admission.backlog}, ` +
            `past the admission limits (${limits}). Clients get 503 with Retry-After.`,
        );
  const start = admission.start_limit;
  return h(
    'div',
    {},
    state,
    h(
      'p',
      { class: 'muted' },
      `Backlog ${admission.backlog} (limits ${limits}); adaptive start limit ${start.limit}, ` +
        `${start.in_flight} starts in flight, ${start.refusals} refused` +
        (admission.user_max_active_jobs > 0
          ? `; at most ${admission.user_max_active_jobs} active jobs per user`
          : ''),
    ),
  );
}

/**
 * `#/queues`: backlog, dispatch rate and pollers per task queue from `GET /queues` every two
 * seconds (the API serves its cached reading, so this costs Temporal nothing), a live chart of
 * backlog over the last five minutes, and whether admission is refusing work and why.
 */
export const queuesView: View = (ctx) => {
  const table = h('div', { id: 'queues-table' });
  const chart = h('div', { id: 'backlog-chart' });
  const admission = h('div', { id: 'admission', 'aria-live': 'polite' });
  const sampled = h('p', { class: 'muted' });
  const notice = h('div');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  async function refresh(): Promise<void> {
    try {
      const view = await call<QueuesView>('GET', '/queues');
      if (stopped) return;
      replace(notice);
      const at = Date.now();
      samples.push({
        at,
        backlog: Object.fromEntries(
          view.task_queues.map((q) => [`${q.name} (${q.type})`, q.backlog_count]),
        ),
      });
      while (samples.length > 0 && samples[0]!.at < at - WINDOW_MS) samples.shift();
      const rows = view.task_queues.map((q) =>
        h(
          'tr',
          { 'data-queue': q.name, 'data-type': q.type },
          h('th', { scope: 'row' }, q.name),
          h('td', {}, q.type),
          h('td', { class: 'backlog' }, String(q.backlog_count)),
          h('td', {}, `${q.backlog_age_seconds.toFixed(1)} s`),
          h('td', {}, `${q.dispatch_rate.toFixed(2)}/s`),
          h('td', {}, `${q.add_rate.toFixed(2)}/s`),
          h('td', { class: 'pollers' }, String(q.pollers)),
        ),
      );
      replace(
        table,
        h(
          'table',
          {},
          h('caption', {}, 'Task queues'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Queue', 'Type', 'Backlog', 'Oldest', 'Dispatch', 'Added', 'Pollers'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          h('tbody', {}, ...rows),
        ),
      );
      drawBacklogChart(chart, samples, WINDOW_MS);
      replace(admission, admissionText(view));
      replace(sampled, `Sampled ${time(view.sampled_at)}; refreshed every ${REFRESH_MS / 1000} s.`);
    } catch (err) {
      replace(notice, errorBox(err));
    }
    if (!stopped) timer = setTimeout(() => void refresh(), REFRESH_MS);
  }

  replace(
    ctx.root,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'queues-title' },
      h('h2', { id: 'queues-title' }, 'Queues'),
      notice,
      h('h3', {}, 'Admission'),
      admission,
      h('h3', {}, 'Backlog over the last minutes'),
      chart,
      table,
      sampled,
    ),
  );
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
