import { call, userId } from '../api.js';
import type { View } from '../context.js';
import { badge, copyButton, field, h, jobLink, replace, time } from '../dom.js';
import { errorBox } from '../errors.js';
import type { Accepted, ConversationView } from '../types.js';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** Opens a conversation by id. */
function openForm(ctx: Parameters<View>[0]): HTMLFormElement {
  const input = h('input', { id: 'open-conversation', name: 'conversation_id', required: true });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'open-conv-title' },
    h('h2', { id: 'open-conv-title' }, 'Conversations'),
    field('Conversation id', input),
    h('button', { type: 'submit' }, 'Open'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.navigate(`#/conversations/${encodeURIComponent(input.value.trim())}`);
  });
  return form;
}

/**
 * `#/conversations/:id`: the transcript with each turn's status, refreshed while a turn is
 * running, and a message box to continue the conversation (Enter sends).
 */
export const conversationView: View = (ctx, [conversationId = '']) => {
  if (!conversationId) {
    replace(ctx.root, openForm(ctx));
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const transcript = h('ol', { id: 'transcript', class: 'transcript' });
  const summary = h('div', { id: 'conversation-summary' });
  const notice = h('div', { 'aria-live': 'polite' });
  const message = h('textarea', {
    id: 'continue-message',
    name: 'message',
    rows: 3,
    required: true,
  });
  const form = h(
    'form',
    { id: 'continue', 'aria-label': 'Continue the conversation' },
    field('Your next message', message, 'Enter sends; Shift+Enter starts a new line.'),
    h('button', { type: 'submit' }, 'Send'),
  );
  const query = () =>
    ctx.mode === 'open' && userId() ? `?user_id=${encodeURIComponent(userId() ?? '')}` : '';

  async function refresh(): Promise<void> {
    if (stopped) return;
    try {
      const view = await call<ConversationView>(
        'GET',
        `/conversations/${encodeURIComponent(conversationId)}${query()}`,
      );
      replace(notice);
      replace(
        summary,
        h(
          'p',
          {},
          badge(view.status),
          ` ${view.turns.length} turns, ${view.usage.input_tokens} in / ${view.usage.output_tokens} out tokens, ` +
            `$${view.cost_usd.toFixed(6)}, started ${time(view.created_at)}`,
        ),
      );
      replace(
        transcript,
        ...view.turns.map((turn) =>
          h(
            'li',
            { class: 'turn', 'data-turn': turn.turn },
            h(
              'div',
              { class: 'row' },
              h('strong', {}, `Turn ${turn.turn}`),
              badge(turn.status),
              jobLink(turn.job_id),
            ),
            h('p', { class: 'you' }, h('span', { class: 'who' }, 'You: '), turn.message),
            turn.response !== undefined ? h('pre', { class: 'text reply' }, turn.response) : null,
            turn.error
              ? h('p', { class: 'error-text' }, `${turn.error.type}: ${turn.error.message}`)
              : null,
          ),
        ),
      );
      const running = view.turns.some((turn) => !FINAL.has(turn.status));
      timer = setTimeout(() => void refresh(), running ? 1000 : 5000);
    } catch (err) {
      replace(notice, errorBox(err));
      timer = setTimeout(() => void refresh(), 5000);
    }
  }

  async function send(): Promise<void> {
    try {
      await call<Accepted>('POST', '/chat', {
        message: message.value,
        conversation_id: conversationId,
        ...(ctx.mode === 'open' ? { user_id: userId() ?? '' } : {}),
      });
      message.value = '';
      clearTimeout(timer);
      await refresh();
    } catch (err) {
      replace(notice, errorBox(err));
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send();
  });
  message.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  replace(
    ctx.root,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'conv-title' },
      h(
        'h2',
        { id: 'conv-title' },
        'Conversation ',
        h('code', { class: 'id' }, conversationId),
        ' ',
        copyButton(conversationId, 'conversation id'),
      ),
      summary,
      notice,
      transcript,
      form,
    ),
  );
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
