import { fork, type ChildProcess } from 'node:child_process';

/** One supervised child process of `npm start`. */
export interface ChildSpec {
  name: string;
  script: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Restarts of a crashing child are spaced by this much, so a broken config doesn't spin. */
const RESTART_DELAY_MS = 1_000;
/** A child that ignores SIGTERM this long is killed. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Runs the stack's processes and restarts any that dies, like a minimal process manager.
 * Children get an IPC channel: if the supervisor dies, the channel closes and they shut down,
 * so no orphan outlives `npm start`.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(private readonly log: (line: string) => void) {}

  start(spec: ChildSpec): void {
    const child = fork(spec.script, spec.args, {
      env: spec.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.children.set(spec.name, child);
    child.once('exit', (code, signal) => {
      if (this.children.get(spec.name) === child) this.children.delete(spec.name);
      if (this.stopping) return;
      this.log(
        `${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${RESTART_DELAY_MS} ms`,
      );
      setTimeout(() => {
        if (!this.stopping) this.start(spec);
      }, RESTART_DELAY_MS).unref();
    });
  }

  /** Process ids of the running children, by name. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.children].map(([name, child]) => [name, child.pid]));
  }

  /** SIGTERM to every child, in reverse start order; SIGKILL any still alive after the timeout. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const children = [...this.children.values()].reverse();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    this.children.clear();
  }
}
