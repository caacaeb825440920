import { ApiError } from './api.js';
import { h } from './dom.js';

/**
 * An error as the page shows it: the API's message and each invalid field, in an alert region
 * so screen readers announce it. Never a blank page.
 */
export function errorBox(err: unknown): HTMLElement {
  const apiError =
    err instanceof ApiError
      ? err
      : new ApiError(0, 'error', (err as Error)?.message ?? String(err));
  const box = h(
    'div',
    { class: 'error', role: 'alert', 'data-error': apiError.code },
    h('strong', {}, apiError.status ? `${apiError.status} ${apiError.code}: ` : ''),
    apiError.message,
  );
  if (apiError.details.length > 0) {
    const list = h('ul', {});
    for (const detail of apiError.details) {
      list.appendChild(h('li', {}, h('code', {}, detail.field), `: ${detail.message}`));
    }
    box.appendChild(list);
  }
  return box;
}
