/** Writes a report as `<prefix>.json` and `<prefix>.html`, creating the directory. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { renderHtmlReport } from './html-report';
import type { LoadtestReport } from './report';
import type { Summary } from './stats';

/** Writes both files; returns their paths. */
export async function writeReport(
  report: LoadtestReport,
  prefix: string,
): Promise<{ json: string; html: string }> {
  const json = `${prefix}.json`;
  const html = `${prefix}.html`;
  await fs.mkdir(path.dirname(path.resolve(json)), { recursive: true });
  await fs.writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await fs.writeFile(html, renderHtmlReport(report));
  return { json, html };
}

const row = (name: string, s: Summary) =>
  `  ${name.padEnd(34)} n=${String(s.count).padEnd(6)} p50 ${s.p50}  p95 ${s.p95}  p99 ${s.p99}  max ${s.max}`;

/** The human summary printed at the end of a run. */
export function formatSummary(report: LoadtestReport): string {
  const c = report.counts;
  const l = report.latencyMs;
  const lines = [
    `load test ${report.runId} against ${report.url}: ${report.settings.rate} req/s for ${report.settings.durationS} s`,
    `  sent ${c.sent} = accepted ${c.accepted} + refused ${c.refused}; completed ${c.completed}, failed ${c.failed}, cancelled ${c.cancelled}, LOST ${c.lost}, wrong answers ${c.wrongAnswers}`,
    `latency (ms):`,
    row('accept (POST → 202)', l.accept),
    row('end to end (server timestamps)', l.endToEnd),
    row('queue wait (started − submitted)', l.queueWait),
    row('processing (completed − started)', l.processing),
    row('observed by client (incl. polling)', l.observedEndToEnd),
    `throughput: ${report.throughput.acceptedPerS} accepted/s, ${report.throughput.completedPerS} completed/s (peak ${report.throughput.peakCompletedPerS}/s)`,
  ];
  const refusals = Object.entries(report.refusals);
  if (refusals.length > 0)
    lines.push(`refusals: ${refusals.map(([reason, n]) => `${reason} ×${n}`).join(', ')}`);
  const failures = Object.entries(report.failures);
  if (failures.length > 0)
    lines.push(`failures: ${failures.map(([type, n]) => `${type} ×${n}`).join(', ')}`);
  return lines.join('\n');
}
