/**
 * The console shell: finds out whether the API is open or keyed, asks for a key when needed,
 * and routes `#/...` hashes to views. Everything it shows comes from the public API.
 */
import { ApiError, apiKey, call, onUnauthorized, setApiKey, setUserId, userId } from './api.js';
import type { Cleanup, View, ViewContext } from './context.js';
import { button, field, h, replace } from './dom.js';
import { errorBox } from './errors.js';
import { approvalsView } from './views/approvals.js';
import { conversationView } from './views/conversation.js';
import { jobView } from './views/job.js';
import { newJobView } from './views/new-job.js';
import { queuesView } from './views/queues.js';
import { settingsView } from './views/settings.js';
import { usageView } from './views/usage.js';

const routes: [RegExp, View][] = [
  [/^#\/new$/, newJobView],
  [/^#\/jobs\/([^/]+)$/, jobView],
  [/^#\/conversations(?:\/([^/]+))?$/, conversationView],
  [/^#\/approvals$/, approvalsView],
  [/^#\/queues$/, queuesView],
  [/^#\/usage$/, usageView],
  [/^#\/settings$/, settingsView],
];

const root = document.getElementById('main') as HTMLElement;
const authBar = document.getElementById('auth') as HTMLElement;
let cleanup: Cleanup | void;
let mode: ViewContext['mode'] | undefined;

/**
 * Open or keyed? There is no endpoint that says, so the console asks a cheap authenticated one
 * (`GET /queues`): 401 means keys are on and ours is missing or wrong.
 */
async function probe(): Promise<'open' | 'keyed' | 'needs-key'> {
  try {
    await call('GET', '/queues');
    return apiKey() ? 'keyed' : 'open';
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return 'needs-key';
    // Temporal briefly unreachable (503) and the like: the API itself answered without a 401.
    return apiKey() ? 'keyed' : 'open';
  }
}

function renderAuthBar(): void {
  if (mode === 'open') {
    const input = h('input', {
      id: 'user-id',
      name: 'user_id',
      value: userId() ?? '',
      autocomplete: 'username',
      placeholder: 'alice',
      required: true,
    });
    input.addEventListener('input', () => setUserId(input.value.trim() || undefined));
    replace(
      authBar,
      h('span', { class: 'mode open' }, 'Open development mode: no API key needed'),
      field('Acting as user', input),
    );
  } else if (mode === 'keyed') {
    replace(
      authBar,
      h('span', { class: 'mode keyed' }, 'Using an API key'),
      button('Forget key', () => {
        setApiKey(undefined);
        void start();
      }),
    );
  } else {
    replace(authBar, h('span', { class: 'mode' }, 'API key required'));
  }
}

function keyForm(message?: string): void {
  const input = h('input', {
    id: 'api-key',
    name: 'api_key',
    type: 'password',
    autocomplete: 'off',
    required: true,
  });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'key-title' },
    h('h2', { id: 'key-title' }, 'This API needs a key'),
    h(
      'p',
      {},
      'Paste your API key (from `npm run api-key`). It is kept only in this tab (sessionStorage).',
    ),
    message ? errorBox(new ApiError(401, 'unauthorized', message)) : null,
    field('API key', input),
    h('button', { type: 'submit' }, 'Use key'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setApiKey(input.value.trim());
    void start();
  });
  replace(root, form);
  input.focus();
}

function route(): void {
  if (!mode) return;
  cleanup?.();
  cleanup = undefined;
  const hash = location.hash.startsWith('#/') ? location.hash : '#/new';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (hash.startsWith(link.getAttribute('href') ?? '-'))
      link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const ctx: ViewContext = { mode, root, navigate: (to) => (location.hash = to) };
  replace(root);
  for (const [pattern, view] of routes) {
    const match = pattern.exec(hash);
    if (!match) continue;
    try {
      cleanup = view(
        ctx,
        match.slice(1).map((part) => (part === undefined ? '' : decodeURIComponent(part))),
      );
    } catch (err) {
      replace(root, errorBox(err));
    }
    return;
  }
  replace(root, errorBox(new ApiError(404, 'not_found', `No view for ${hash}`)));
}

async function start(): Promise<void> {
  const found = await probe();
  if (found === 'needs-key') {
    const hadKey = apiKey() !== undefined;
    setApiKey(undefined);
    mode = undefined;
    renderAuthBar();
    keyForm(hadKey ? 'The API key is malformed or unknown' : undefined);
    return;
  }
  mode = found;
  renderAuthBar();
  route();
}

window.addEventListener('hashchange', route);
onUnauthorized(() => {
  // The key stopped working (revoked, or another tab forgot it): ask again.
  if (mode === 'keyed') void start();
});
void start();
