/** Real child processes for end-to-end tests: spawn a built entry point, wait for its output. */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ManagedProcess } from '../../src/stack/managed-process';

/** dist/bin, where `npm run build` puts the entry points. */
export const DIST_BIN = path.resolve(__dirname, '..', '..', 'dist', 'bin');

/** A spawned process whose output is captured. */
export interface SpawnedProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches `pattern` (rejects on exit or timeout). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code/signal once the process has exited. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const spawned = new Set<ManagedProcess>();

/** Spawns `node dist/bin/<entry>.js args…` with the given environment (the project's wrapper). */
export function spawnEntryPoint(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): SpawnedProcess {
  const proc = new ManagedProcess({
    name: entry,
    script: path.join(DIST_BIN, `${entry}.js`),
    args,
    env,
    outputLimit: Number.POSITIVE_INFINITY,
  });
  proc.start();
  spawned.add(proc);
  const exit = proc.exited().then(({ code, signal }) => {
    spawned.delete(proc);
    return { code, signal };
  });
  return {
    child: proc.childProcess!,
    output: () => proc.output(),
    exited: () => exit,
    waitForOutput: (pattern, timeoutMs = 60_000) => proc.waitForOutput(pattern, timeoutMs),
  };
}

/** SIGKILLs every process spawned by this test file that is still alive. */
export function killAllSpawned(): void {
  for (const proc of spawned) void proc.signal('SIGKILL');
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
