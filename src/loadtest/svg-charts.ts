/**
 * Inline SVG charts for the HTML report: no CDN, no script, so the report is one file that opens
 * anywhere (and in CI artifacts) without network access.
 */
import type { HistogramBin } from './stats';

const WIDTH = 720;
const HEIGHT = 260;
const PAD = { left: 56, right: 16, top: 16, bottom: 40 };

/** Escapes text for SVG/HTML. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function fmt(value: number): string {
  if (value >= 10_000) return `${Math.round(value / 1000)}k`;
  if (value >= 100) return String(Math.round(value));
  return String(Math.round(value * 10) / 10);
}

function axes(yMax: number, xLabels: Array<{ x: number; text: string }>, yTitle: string): string {
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i += 1) {
    const y = PAD.top + plotH - (plotH * i) / 4;
    parts.push(
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`,
      `<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt((yMax * i) / 4)}</text>`,
    );
  }
  for (const label of xLabels)
    parts.push(
      `<text x="${label.x}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle" font-size="11">${escapeXml(label.text)}</text>`,
    );
  parts.push(
    `<text x="14" y="${PAD.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${PAD.top + plotH / 2})" text-anchor="middle">${escapeXml(yTitle)}</text>`,
  );
  return parts.join('');
}

/** A series of a line chart. */
export interface Series {
  name: string;
  color: string;
  values: number[];
}

/** Line chart of per-second series sharing one x axis (seconds). */
export function lineChart(title: string, series: Series[], yTitle: string, xTitle = 's'): string {
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const yMax = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (n <= 1 ? 0 : (plotW * i) / (n - 1));
  const y = (v: number) => PAD.top + plotH - (plotH * v) / yMax;
  const ticks = Array.from({ length: 6 }, (_, k) => Math.round(((n - 1) * k) / 5)).map((i) => ({
    x: x(i),
    text: `${i}${xTitle}`,
  }));
  const lines = series.map((s) => {
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points}"/>`;
  });
  const legend = series.map(
    (s, i) =>
      `<rect x="${PAD.left + 8 + i * 120}" y="${HEIGHT - 14}" width="10" height="10" fill="${s.color}"/>` +
      `<text x="${PAD.left + 22 + i * 120}" y="${HEIGHT - 5}" font-size="11">${escapeXml(s.name)}</text>`,
  );
  return (
    `<figure><figcaption>${escapeXml(title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif">` +
    axes(yMax, ticks, yTitle) +
    lines.join('') +
    legend.join('') +
    `</svg></figure>`
  );
}

/** Bar chart of a histogram (bins labelled by their lower edge, in ms). */
export function histogramChart(title: string, bins: HistogramBin[], unit = 'ms'): string {
  if (bins.length === 0)
    return `<figure><figcaption>${escapeXml(title)}: no data</figcaption></figure>`;
  const yMax = niceMax(Math.max(...bins.map((b) => b.count)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const barW = plotW / bins.length;
  const bars = bins.map((b, i) => {
    const h = (plotH * b.count) / yMax;
    return (
      `<rect x="${(PAD.left + i * barW + 1).toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" ` +
      `width="${Math.max(1, barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#2563eb">` +
      `<title>${fmt(b.from)}–${fmt(b.to)} ${unit}: ${b.count}</title></rect>`
    );
  });
  const labels = [0, Math.floor(bins.length / 2), bins.length - 1].map((i) => ({
    x: PAD.left + i * barW + barW / 2,
    text: `${fmt(bins[i]!.from)} ${unit}`,
  }));
  return (
    `<figure><figcaption>${escapeXml(title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif">` +
    axes(yMax, labels, 'jobs') +
    bars.join('') +
    `</svg></figure>`
  );
}
