/** Tiny DOM helpers: elements are built with createElement (no innerHTML, no inline styles). */

/** What {@link h} accepts as a child. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes: strings are set, `true` sets an empty attribute, false/undefined skip it. */
export type Attrs = Record<string, string | number | boolean | undefined>;

/** Creates an element with attributes and children (text is escaped by the DOM). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children, skipping empty ones. */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

/** A button that runs `onClick` (errors are the caller's to show). */
export function button(label: string, onClick: () => void, attrs: Attrs = {}): HTMLButtonElement {
  const el = h('button', { type: 'button', ...attrs }, label);
  el.addEventListener('click', onClick);
  return el;
}

/**
 * A "Copy" button for `text`. The clipboard API needs a secure context and a permission: when
 * it is refused the text is selected in a prompt-free fallback field instead of failing silently.
 */
export function copyButton(text: string, what: string): HTMLButtonElement {
  const el = button('Copy', () => {
    const done = (label: string) => {
      el.textContent = label;
      setTimeout(() => (el.textContent = 'Copy'), 1500);
    };
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) {
      done('Select it');
      return;
    }
    clipboard.writeText(text).then(
      () => done('Copied'),
      () => done('Select it'),
    );
  });
  el.setAttribute('aria-label', `Copy ${what}`);
  el.className = 'copy';
  el.dataset.copy = text;
  return el;
}

/**
 * A labelled form control: a `<label for>` naming it and an optional hint tied to it with
 * aria-describedby (so the hint is read after the name, not as part of it). The control needs an id.
 */
export function field(label: string, control: HTMLElement, hint?: string): HTMLDivElement {
  const hintEl = hint ? h('small', { id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/** A link to a job page; job ids are always links. */
export function jobLink(jobId: string): HTMLAnchorElement {
  return h('a', { href: `#/jobs/${encodeURIComponent(jobId)}`, class: 'id' }, jobId);
}

/** Formats an ISO time as a local time (empty for undefined). */
export function time(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** A definition list from label/value pairs, skipping empty values. */
export function details(rows: [string, Child][]): HTMLDListElement {
  const dl = h('dl', { class: 'details' });
  for (const [label, value] of rows) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    append(dl, [h('dt', {}, label), h('dd', {}, value)]);
  }
  return dl;
}

/** A status badge; colour comes from the stylesheet by status name. */
export function badge(status: string): HTMLSpanElement {
  return h('span', { class: `badge status-${status}`, 'data-status': status }, status);
}

/** Pretty JSON for tool inputs and the like. */
export function json(value: unknown): HTMLPreElement {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}
