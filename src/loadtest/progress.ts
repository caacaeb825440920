/**
 * Live progress: a one-line bar redrawn in place on a TTY, plain periodic lines otherwise (CI
 * logs and pipes would fill with carriage returns).
 */
import type { LiveCounters } from './types';

const BAR_WIDTH = 24;
const PLAIN_EVERY_MS = 5_000;

/** Returns an `onProgress` hook writing to `stream`. */
export function progressPrinter(
  stream: NodeJS.WriteStream,
  label = 'loadtest',
): (counters: LiveCounters) => void {
  let lastPlain = -Infinity;
  return (c) => {
    const fraction = Math.min(1, c.sent / c.planned);
    const secs = (c.elapsedMs / 1_000).toFixed(1);
    const text =
      `${c.phase.padEnd(8)} sent ${c.sent}/${c.planned} accepted ${c.accepted} refused ${c.refused} ` +
      `completed ${c.completed} failed ${c.failed} pending ${c.pending} | ${c.currentRate}/s | ${secs}s`;
    if (stream.isTTY) {
      const filled = Math.round(fraction * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
      const line = `${label} ${bar} ${text}`.slice(0, Math.max(20, (stream.columns ?? 120) - 1));
      stream.write(`\r\x1b[2K${line}${c.phase === 'done' ? '\n' : ''}`);
    } else if (c.phase === 'done' || c.elapsedMs - lastPlain >= PLAIN_EVERY_MS) {
      lastPlain = c.elapsedMs;
      stream.write(`[${label}] ${text}\n`);
    }
  };
}
