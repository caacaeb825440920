/** Human summary of a {@link ChaosReport}. */
import type { ChaosReport } from './runner';

const r = (v: number) => (Number.isFinite(v) ? String(Math.round(v)) : '–');

/** Lines printed at the end of `npm run chaos`. */
export function formatChaosSummary(report: ChaosReport): string {
  const v = report.verification;
  const c = report.load.counts;
  const lines = [
    `chaos run on ${report.system}: ${report.settings.rate} jobs/s for ${report.settings.durationS} s, ${report.settings.activityWorkers} activity workers, model ${report.settings.latencyMs} ms`,
    `  sent ${c.sent} = accepted ${c.accepted} + refused ${c.refused}` +
      (Object.keys(report.load.refusals).length > 0
        ? ` (${Object.entries(report.load.refusals)
            .map(([k, n]) => `${k} ×${n}`)
            .join(', ')})`
        : ''),
    `  completed ${v.completed}, failed ${v.failed}, LOST ${v.lost}, wrong answers ${v.wrongAnswers}, ` +
      `results recorded ≠ once: ${v.notExactlyOnce} (evidence: ${v.evidence})`,
    `  model calls ${v.modelCalls.total} (${v.modelCalls.completed} completed); jobs whose model call completed more than once: ${v.duplicateModelCalls}`,
    `faults:`,
  ];
  for (const f of report.recovery) {
    const who = f.worker !== undefined ? ` worker ${f.worker} (pid ${f.pid ?? '?'})` : '';
    lines.push(
      `  t=${f.atS}s ${f.kind}${who}: ${f.inFlightAtFault} calls in flight, ${f.affectedJobs} jobs affected; ` +
        `resume (fault → retry reaches model) p50 ${r(f.resumeMs.p50)} ms max ${r(f.resumeMs.max)} ms; ` +
        `fault → first affected completion ${r(f.firstCompletionMs)} ms, all ${r(f.completionMs.max)} ms` +
        (f.backAfterMs !== undefined ? `; back after ${r(f.backAfterMs)} ms` : '') +
        (f.error ? ` [${f.error}]` : ''),
    );
  }
  for (const problem of v.problems) lines.push(`  ! ${problem}`);
  lines.push(v.ok ? 'VERDICT: every accepted job finished exactly once' : 'VERDICT: FAILED');
  return lines.join('\n');
}
