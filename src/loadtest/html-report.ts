/** The self-contained HTML report: tables of the figures plus inline SVG plots. */
import type { LoadtestReport } from './report';
import type { Summary } from './stats';
import { escapeXml, histogramChart, lineChart } from './svg-charts';

function summaryRow(name: string, s: Summary): string {
  const cells = [s.count, s.p50, s.p95, s.p99, s.max].map(
    (v) => `<td>${Number.isNaN(v) ? '–' : v}</td>`,
  );
  return `<tr><th>${escapeXml(name)}</th>${cells.join('')}</tr>`;
}

function keyValueTable(title: string, entries: Array<[string, string | number]>): string {
  if (entries.length === 0) return `<p>${escapeXml(title)}: none</p>`;
  const rows = entries.map(
    ([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(String(v))}</td></tr>`,
  );
  return `<h3>${escapeXml(title)}</h3><table>${rows.join('')}</table>`;
}

/** Renders `report` as one HTML document (no external resources). */
export function renderHtmlReport(report: LoadtestReport): string {
  const t = report.timeline;
  const c = report.counts;
  const l = report.latencyMs;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Load test ${escapeXml(report.runId)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#111}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}
th{background:#f9fafb;text-align:left}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.25rem}
.bad{color:#b91c1c;font-weight:600}
</style></head><body>
<h1>Load test against ${escapeXml(report.url)}</h1>
<p>Started ${escapeXml(report.startedAt)} · ${report.settings.rate} req/s for ${report.settings.durationS} s ·
${report.settings.users} users · run id <code>${escapeXml(report.runId)}</code></p>
<h2>Accounting</h2>
<table><tr><th>sent</th><th>accepted</th><th>refused</th><th>completed</th><th>failed</th><th>cancelled</th><th>lost</th><th>wrong answers</th></tr>
<tr><td>${c.sent}</td><td>${c.accepted}</td><td>${c.refused}</td><td>${c.completed}</td><td>${c.failed}</td><td>${c.cancelled}</td>
<td class="${c.lost > 0 ? 'bad' : ''}">${c.lost}</td><td class="${c.wrongAnswers > 0 ? 'bad' : ''}">${c.wrongAnswers}</td></tr></table>
<h2>Latency (ms)</h2>
<table><tr><th></th><th>n</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>
${summaryRow('accept (POST → 202)', l.accept)}
${summaryRow('end to end (submitted → completed)', l.endToEnd)}
${summaryRow('queue wait (submitted → started)', l.queueWait)}
${summaryRow('processing (started → completed)', l.processing)}
${summaryRow('observed by the client (incl. poll delay)', l.observedEndToEnd)}
</table>
<p>Throughput: ${report.throughput.acceptedPerS} accepted/s, ${report.throughput.completedPerS} completed/s
(peak ${report.throughput.peakCompletedPerS} in one second).</p>
${keyValueTable('Refusals by reason', Object.entries(report.refusals))}
${keyValueTable('Failures by type', Object.entries(report.failures))}
${histogramChart('End-to-end latency', report.histograms.endToEnd)}
${histogramChart('Accept latency (POST → 202)', report.histograms.accept)}
${lineChart(
  'Throughput over time',
  [
    { name: 'sent/s', color: '#9ca3af', values: t.map((p) => p.sent) },
    { name: 'accepted/s', color: '#2563eb', values: t.map((p) => p.accepted) },
    { name: 'completed/s', color: '#16a34a', values: t.map((p) => p.completed) },
    { name: 'refused/s', color: '#dc2626', values: t.map((p) => p.refused) },
  ],
  'per second',
)}
${lineChart(
  'Backlog over time',
  [
    { name: 'queued', color: '#d97706', values: t.map((p) => p.queued) },
    { name: 'running', color: '#7c3aed', values: t.map((p) => p.running) },
  ],
  'jobs',
)}
${c.lost > 0 ? `<h3 class="bad">Lost jobs (first ${report.lostJobIds.length})</h3><pre>${escapeXml(report.lostJobIds.join('\n'))}</pre>` : ''}
</body></html>
`;
}
