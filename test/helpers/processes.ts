/** Real child processes for end-to-end tests: spawn a built entry point, wait for its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

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

const spawned = new Set<ChildProcess>();

/** Spawns `node dist/bin/<entry>.js args…` with the given environment. */
export function spawnEntryPoint(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): SpawnedProcess {
  const child = spawn(process.execPath, [path.join(DIST_BIN, `${entry}.js`), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      spawned.delete(child);
      resolve({ code, signal });
      for (const listener of listeners) listener();
    });
  });
  return {
    child,
    output: () => output,
    exited: () => exit,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `timed out waiting for ${pattern} from ${entry}; output:\n${output.slice(-3000)}`,
            ),
          );
        }, timeoutMs);
        function check() {
          const match = output.match(pattern);
          if (match) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(
              new Error(
                `${entry} exited before printing ${pattern}; output:\n${output.slice(-3000)}`,
              ),
            );
          }
        }
        listeners.add(check);
        check();
      });
    },
  };
}

/** SIGKILLs every process spawned by this test file that is still alive. */
export function killAllSpawned(): void {
  for (const child of spawned) child.kill('SIGKILL');
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
