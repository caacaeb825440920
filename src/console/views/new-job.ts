import { call, userId } from '../api.js';
import { curl, type View } from '../context.js';
import { copyButton, field, h, replace } from '../dom.js';
import { errorBox } from '../errors.js';
import type { Accepted } from '../types.js';

/** A fresh conversation id (letters, digits, `-`: what the API accepts). */
function newConversationId(): string {
  return `chat-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * `#/new`: the message box and the job's settings. Enter submits (Shift+Enter is a new line).
 * Lane and approval settings are sent only when set, so servers without them are unaffected.
 */
export const newJobView: View = (ctx) => {
  const message = h('textarea', { id: 'message', name: 'message', rows: 4, required: true });
  const priority = h(
    'select',
    { id: 'priority', name: 'priority' },
    h('option', { value: 'normal' }, 'normal'),
    h('option', { value: 'medium' }, 'medium'),
    h('option', { value: 'high' }, 'high'),
  );
  const tools = h('input', { id: 'tools', name: 'tools', type: 'checkbox' });
  const conversationMode = h(
    'select',
    { id: 'conversation-mode', name: 'conversation_mode' },
    h('option', { value: 'none' }, 'none (a single job)'),
    h('option', { value: 'new' }, 'new conversation'),
    h('option', { value: 'existing' }, 'existing conversation'),
  );
  const conversationId = h('input', {
    id: 'conversation-id',
    name: 'conversation_id',
    placeholder: 'trip-planning',
    disabled: true,
  });
  conversationMode.addEventListener('change', () => {
    conversationId.disabled = conversationMode.value === 'none';
    if (conversationMode.value === 'new') conversationId.value = newConversationId();
    if (conversationMode.value === 'existing') conversationId.value = '';
  });
  const approval = h('input', {
    id: 'require-approval',
    name: 'require_approval',
    placeholder: 'all, or calculator, word_count',
  });
  const status = h('div', { id: 'submit-status', 'aria-live': 'polite' });
  const copyCurl = h('div', { class: 'curl' });

  /** The request body from the form; optional settings only when set. */
  function body(): Record<string, unknown> {
    const out: Record<string, unknown> = { message: message.value, priority: priority.value };
    if (ctx.mode === 'open') out.user_id = userId() ?? '';
    if (conversationMode.value !== 'none') out.conversation_id = conversationId.value.trim();
    if (tools.checked || conversationMode.value !== 'none') out.tools = tools.checked;
    const approvalText = approval.value.trim();
    if (approvalText) {
      out.require_approval =
        approvalText === 'all' || approvalText === '*'
          ? true
          : approvalText
              .split(',')
              .map((name) => name.trim())
              .filter(Boolean);
    }
    return out;
  }

  const updateCurl = () =>
    replace(copyCurl, 'curl: ', copyButton(curl(ctx, 'POST', '/chat', body()), 'curl command'));

  const form = h(
    'form',
    { class: 'card', id: 'new-job', 'aria-labelledby': 'new-job-title' },
    h('h2', { id: 'new-job-title' }, 'New job'),
    field('Message', message, 'Enter sends; Shift+Enter starts a new line.'),
    h(
      'div',
      { class: 'row' },
      field('Priority', priority),
      field('Tools', tools, 'Let the model call tools'),
    ),
    h(
      'div',
      { class: 'row' },
      field('Conversation', conversationMode),
      field('Conversation id', conversationId),
    ),
    field('Require approval for tools', approval, 'Leave empty for none'),
    h('div', { class: 'row' }, h('button', { type: 'submit', id: 'submit' }, 'Submit'), copyCurl),
    status,
  );

  async function submit(): Promise<void> {
    replace(status, 'Submitting…');
    try {
      const sent = body();
      const accepted = await call<Accepted>('POST', '/chat', sent);
      if (typeof sent.conversation_id === 'string') {
        ctx.navigate(`#/conversations/${encodeURIComponent(sent.conversation_id)}`);
      } else {
        ctx.navigate(`#/jobs/${encodeURIComponent(accepted.job_id)}`);
      }
    } catch (err) {
      replace(status, errorBox(err));
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  message.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('input', updateCurl);
  form.addEventListener('change', updateCurl);
  updateCurl();
  replace(ctx.root, form);
  message.focus();
};
