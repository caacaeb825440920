/**
 * The project's one child-process wrapper: spawn, capture (or pass through) output, signal, stop
 * with a grace period, wait for output or exit. The chaos runner and the benchmarks drive it by
 * hand (a kill is an experiment, and the experiment decides whether the process comes back);
 * `npm start`'s {@link Supervisor} restarts it; the Temporal launchers run their servers in it.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** What to run. */
export interface ProcessSpec {
  name: string;
  /** Node script (run with this Node) or, with `executable`, an executable. */
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** Run `script` as an executable instead of a Node script. */
  executable?: boolean;
  /**
   * Open an IPC channel to a Node child: when this process dies (even by SIGKILL) the channel
   * closes and the child shuts itself down (src/runtime/shutdown.ts), so nothing is orphaned.
   */
  ipc?: boolean;
  /** `inherit` passes output through to ours (`npm start`); default `capture` keeps a tail. */
  output?: 'capture' | 'inherit';
  /** Characters of output kept (default 20,000; tests keep everything). */
  outputLimit?: number;
  /** Working directory (default ours). */
  cwd?: string;
  /**
   * SIGKILL the child when this process exits, for children without an IPC channel (the Temporal
   * servers): they would otherwise outlive their launcher.
   */
  killWithParent?: boolean;
}

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it could not be spawned (e.g. ENOENT), if so. */
  error?: string;
}

/** "exited with code 1", "was killed by SIGKILL", "failed to start: …". */
export function describeExit(exit: ProcessExit): string {
  if (exit.error !== undefined) return `failed to start: ${exit.error}`;
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

const OUTPUT_TAIL_CHARS = 20_000;

/** Children with `killWithParent` still running. Process-wide by nature: `exit` is too. */
const killOnExit = new Set<ChildProcess>();
let exitHooksInstalled = false;

/**
 * Makes `killWithParent` children die with us. `exit` covers normal exits, `process.exit()` and
 * uncaught exceptions. Signals need care: Node's default SIGINT/SIGTERM/SIGHUP action kills the
 * process *without* emitting `exit`, so if nobody else handles the signal we kill the children and
 * re-raise it to keep the default behaviour. If the application has its own handler we leave the
 * shutdown to it (it may still need the server while draining) and rely on `exit`.
 */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const child of killOnExit) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      if (process.listenerCount(signal) > 1) return;
      for (const child of killOnExit) child.kill('SIGKILL');
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/** A process that can be started, signalled, stopped and restarted. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private outputTail = '';
  private exitPromise: Promise<ProcessExit> = Promise.resolve({ code: null, signal: null });
  private readonly outputListeners = new Set<() => void>();
  /** Every pid this slot has had, oldest first (a restart gets a new pid). */
  readonly pidHistory: number[] = [];

  constructor(readonly spec: ProcessSpec) {}

  /** Starts the process (no-op while it runs). */
  start(): void {
    if (this.running()) return;
    const output = this.spec.output === 'inherit' ? 'inherit' : 'pipe';
    const stdio = this.spec.ipc
      ? (['ignore', output, output, 'ipc'] as const)
      : (['ignore', output, output] as const);
    const options = { env: this.spec.env, cwd: this.spec.cwd, stdio: [...stdio] };
    const child = this.spec.executable
      ? spawn(this.spec.script, this.spec.args ?? [], options)
      : spawn(process.execPath, [this.spec.script, ...(this.spec.args ?? [])], options);
    this.child = child;
    if (this.spec.killWithParent) {
      installExitHooks();
      killOnExit.add(child);
    }
    if (child.pid !== undefined) this.pidHistory.push(child.pid);
    const onData = (chunk: Buffer) => {
      this.outputTail = (this.outputTail + chunk.toString()).slice(
        -(this.spec.outputLimit ?? OUTPUT_TAIL_CHARS),
      );
      for (const listener of this.outputListeners) listener();
    };
    // The pipes are drained continuously, or a chatty child would block on a full pipe.
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exitPromise = new Promise((resolve) => {
      // e.g. ENOENT/EACCES for an executable: no 'exit' event follows.
      child.once('error', (err) => {
        if (child.pid === undefined) resolve({ code: null, signal: null, error: err.message });
      });
      // 'close' rather than 'exit': it fires after the pipes are drained, so the output tail
      // includes the process's last words.
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    void this.exitPromise.then(() => {
      killOnExit.delete(child);
      for (const listener of this.outputListeners) listener();
    });
  }

  /** The Node child of the current (or last) run, for tests that signal it directly. */
  get childProcess(): ChildProcess | undefined {
    return this.child;
  }

  /** The current pid (undefined when not running). */
  get pid(): number | undefined {
    return this.running() ? this.child?.pid : undefined;
  }

  /** True while the process has not exited (a SIGSTOPped process is running). */
  running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Resolves once the current (or last) run has exited. */
  exited(): Promise<ProcessExit> {
    return this.exitPromise;
  }

  /** The last output (up to `outputLimit` characters), for error messages. */
  output(): string {
    return this.outputTail;
  }

  /** Sends `signal`; for SIGKILL resolves once the process has exited. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.running()) return;
    this.child!.kill(signal);
    if (signal === 'SIGKILL') await this.exitPromise;
  }

  /** SIGTERM (SIGCONT first, in case it is stopped), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running()) return;
    const child = this.child!;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  /** Resolves with the match once the output matches `pattern`; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const finish = (err: Error | undefined, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        this.outputListeners.delete(check);
        if (err) reject(err);
        else resolve(match!);
      };
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `${this.spec.name} did not print ${pattern} within ${timeoutMs} ms:\n` +
                this.outputTail.slice(-3000),
            ),
          ),
        timeoutMs,
      );
      const check = () => {
        const match = this.outputTail.match(pattern);
        if (match) finish(undefined, match);
        else if (!this.running())
          finish(
            new Error(
              `${this.spec.name} exited before printing ${pattern}:\n${this.outputTail.slice(-3000)}`,
            ),
          );
      };
      this.outputListeners.add(check);
      check();
    });
  }

  /** Forgets the output seen so far (so a restart waits for fresh lines). */
  clearOutput(): void {
    this.outputTail = '';
  }
}
