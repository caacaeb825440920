/**
 * CPU and memory per process from /proc (Linux): CPU% between two samples of utime+stime, RSS
 * from /proc/<pid>/status. Used to name the bottleneck of each benchmark scenario.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime + stime of a pid in clock ticks; undefined when it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Resident set size of a pid in MB. */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Pid of the local redis-server, if any. */
export function redisPid(): number | undefined {
  try {
    const out = execFileSync('pidof', ['redis-server'], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)[0];
    return out ? Number(out) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU used by each named process over one window. */
export interface CpuWindow {
  /** Wall-clock length of the window. */
  seconds: number;
  /** CPU% (100 = one core) averaged over the window. */
  percent: Record<string, number>;
  /** CPU-milliseconds used in the window (utime + stime). */
  ms: Record<string, number>;
}

/** CPU-milliseconds a pid has used so far; undefined when it is gone. */
export function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const ticks = cpuTicks(pid);
  return ticks === undefined ? undefined : (ticks * 1_000) / TICKS_PER_SECOND;
}

/**
 * Starts measuring; `stop()` returns CPU% and CPU-ms per named process over the window. Per-job
 * figures divide `ms` by the jobs of the window, so the window must cover their drain too.
 */
export function startCpuWindow(pids: Record<string, number | undefined>): {
  stop(): CpuWindow;
} {
  const started = Date.now();
  const first = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [
      name,
      pid === undefined ? undefined : cpuTicks(pid),
    ]),
  );
  return {
    stop() {
      const seconds = (Date.now() - started) / 1_000;
      const percent: Record<string, number> = {};
      const ms: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) {
        const a = first[name];
        const b = pid === undefined ? undefined : cpuTicks(pid);
        if (a === undefined || b === undefined) continue;
        percent[name] = Math.round(((b - a) / TICKS_PER_SECOND / seconds) * 1000) / 10;
        ms[name] = ((b - a) * 1_000) / TICKS_PER_SECOND;
      }
      return { seconds, percent, ms };
    },
  };
}
