import { setTemporalUi, temporalUi, type View } from '../context.js';
import { field, h, replace } from '../dom.js';

/** `#/settings`: where the Temporal Web UI is (the API does not say), kept in localStorage. */
export const settingsView: View = (ctx) => {
  const current = temporalUi();
  const url = h('input', {
    id: 'temporal-ui-url',
    name: 'temporal_ui_url',
    type: 'url',
    value: current.url,
  });
  const namespace = h('input', {
    id: 'temporal-namespace',
    name: 'namespace',
    value: current.namespace,
  });
  const saved = h('p', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'settings-title' },
    h('h2', { id: 'settings-title' }, 'Settings'),
    field(
      'Temporal Web UI URL',
      url,
      'Job pages link to the job there; npm start serves it on port 8233',
    ),
    field('Temporal namespace', namespace),
    h('button', { type: 'submit' }, 'Save'),
    saved,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setTemporalUi(url.value.trim(), namespace.value.trim());
    replace(saved, 'Saved.');
  });
  replace(ctx.root, form);
};
