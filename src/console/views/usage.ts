import { call, setUserId, userId } from '../api.js';
import type { View } from '../context.js';
import { field, h, replace } from '../dom.js';
import { errorBox } from '../errors.js';
import type { UsageView } from '../types.js';

/**
 * `#/usage`: a user's tokens and cost today and in total, against the daily budget, from
 * `GET /users/:id/usage`. With a key the API shows only the key's own user; the console has no
 * "who am I" endpoint, so the user is remembered from the jobs this tab has seen (or typed).
 */
export const usageView: View = (ctx) => {
  const input = h('input', {
    id: 'usage-user',
    name: 'user_id',
    value: userId() ?? '',
    required: true,
  });
  const out = h('div', { id: 'usage' });
  const form = h(
    'form',
    { class: 'row', 'aria-label': 'Whose usage' },
    field('User', input),
    h('button', { type: 'submit' }, 'Show usage'),
  );
  async function load(): Promise<void> {
    const user = input.value.trim();
    if (!user) return;
    try {
      const usage = await call<UsageView>('GET', `/users/${encodeURIComponent(user)}/usage`);
      setUserId(user);
      const today = usage.today;
      const meter =
        today.budget !== undefined
          ? h('meter', {
              id: 'budget-meter',
              min: 0,
              max: today.budget,
              value: today.tokens,
              'aria-label': 'Daily token budget used',
            })
          : null;
      replace(
        out,
        h('h3', {}, `Today (${today.date}, UTC)`),
        h(
          'p',
          { id: 'usage-today' },
          `${today.jobs} jobs, ${today.tokens} tokens`,
          today.budget !== undefined
            ? ` of a daily budget of ${today.budget} (${today.remaining ?? 0} left)`
            : ' (no daily token budget is set)',
        ),
        meter,
        h('h3', {}, 'In total'),
        h(
          'p',
          { id: 'usage-total' },
          `${usage.jobs} jobs, ${usage.model_calls} model calls, ${usage.input_tokens} input and ` +
            `${usage.output_tokens} output tokens, $${usage.cost_usd.toFixed(6)}` +
            (usage.unpriced_models ? ' (some models are unpriced)' : ''),
        ),
        h(
          'table',
          {},
          h('caption', {}, 'By model'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Model', 'Calls', 'Input', 'Output', 'Cost'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            ...Object.entries(usage.by_model).map(([model, t]) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, model),
                h('td', {}, String(t.calls)),
                h('td', {}, String(t.input_tokens)),
                h('td', {}, String(t.output_tokens)),
                h('td', {}, t.cost_usd === undefined ? 'unpriced' : `$${t.cost_usd.toFixed(6)}`),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      replace(out, errorBox(err));
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  replace(
    ctx.root,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'usage-title' },
      h('h2', { id: 'usage-title' }, 'Usage'),
      form,
      out,
    ),
  );
  void load();
};
