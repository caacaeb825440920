/** A small live chart of backlog over time, drawn as SVG elements (no inline style: CSP-safe). */

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 160;
const PAD = 28;

/** One sample: when, and the backlog of each task queue. */
export interface BacklogSample {
  at: number;
  backlog: Record<string, number>;
}

/** "45 s" or "3 min". */
function span(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * Draws the samples of the last `windowMs` into `target` (replacing what was there): one line per
 * task queue, colours from the stylesheet by series index, and a text summary for screen readers.
 */
export function drawBacklogChart(
  target: HTMLElement,
  samples: BacklogSample[],
  maxWindowMs: number,
): void {
  let windowMs = maxWindowMs;
  const now = samples.at(-1)?.at ?? Date.now();
  // Until there is `window` of history, span what there is (at least 30 s), so a fresh page
  // shows a line rather than a dot at the right edge.
  windowMs = Math.min(windowMs, Math.max(30_000, now - (samples[0]?.at ?? now)));
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.backlog)))];
  const max = Math.max(1, ...samples.flatMap((s) => Object.values(s.backlog)));
  const x = (at: number) => PAD + ((at - (now - windowMs)) / windowMs) * (WIDTH - PAD - 8);
  const y = (value: number) => HEIGHT - PAD + 4 - (value / max) * (HEIGHT - PAD - 8);
  const root = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    class: 'chart',
    'aria-labelledby': 'chart-title',
  });
  const latest = samples.at(-1)?.backlog ?? {};
  root.appendChild(
    svg(
      'title',
      { id: 'chart-title' },
      `Backlog over the last ${span(windowMs)}; now ` +
        names.map((n) => `${n}: ${latest[n] ?? 0}`).join(', '),
    ),
  );
  root.appendChild(svg('line', { x1: PAD, y1: y(0), x2: WIDTH - 8, y2: y(0), class: 'axis' }));
  root.appendChild(svg('line', { x1: PAD, y1: y(0), x2: PAD, y2: y(max), class: 'axis' }));
  root.appendChild(svg('text', { x: 2, y: y(max) + 4, class: 'tick' }, String(max)));
  root.appendChild(svg('text', { x: 2, y: y(0) + 4, class: 'tick' }, '0'));
  root.appendChild(svg('text', { x: PAD, y: HEIGHT - 4, class: 'tick' }, `-${span(windowMs)}`));
  root.appendChild(svg('text', { x: WIDTH - 40, y: HEIGHT - 4, class: 'tick' }, 'now'));
  names.forEach((name, index) => {
    const points = samples
      .filter((s) => s.at >= now - windowMs)
      .map((s) => `${x(s.at).toFixed(1)},${y(s.backlog[name] ?? 0).toFixed(1)}`)
      .join(' ');
    root.appendChild(svg('polyline', { points, class: `series series-${index % 4}` }));
    const last = samples.at(-1);
    if (last) {
      const cx = x(last.at).toFixed(1);
      const cy = y(last.backlog[name] ?? 0).toFixed(1);
      root.appendChild(svg('circle', { cx, cy, r: 3, class: `dot series-${index % 4}` }));
    }
  });
  const legend = document.createElement('ul');
  legend.className = 'legend';
  names.forEach((name, index) => {
    const item = document.createElement('li');
    item.className = `series-${index % 4}`;
    item.textContent = `${name}: ${latest[name] ?? 0}`;
    legend.appendChild(item);
  });
  target.replaceChildren(root, legend);
}
