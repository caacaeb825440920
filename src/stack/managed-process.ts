/**
 * One child process the chaos runner and the benchmarks control directly: unlike the
 * supervisor of `npm start`, nothing restarts it by itself — a kill is an experiment, and the
 * experiment decides when (and whether) the process comes back.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** What to run. */
export interface ProcessSpec {
  name: string;
  /** Node script (run with this Node) or, with `command`, an executable. */
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** Run `script` as an executable instead of a Node script. */
  executable?: boolean;
}

const OUTPUT_TAIL_CHARS = 20_000;

/** A process that can be started, signalled, stopped and restarted. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private outputTail = '';
  private exitPromise: Promise<void> = Promise.resolve();
  /** Every pid this slot has had, oldest first (a restart gets a new pid). */
  readonly pidHistory: number[] = [];

  constructor(readonly spec: ProcessSpec) {}

  /** Starts the process (no-op while it runs). */
  start(): void {
    if (this.running()) return;
    const child = this.spec.executable
      ? spawn(this.spec.script, this.spec.args ?? [], {
          env: this.spec.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, [this.spec.script, ...(this.spec.args ?? [])], {
          env: this.spec.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
    this.child = child;
    if (child.pid !== undefined) this.pidHistory.push(child.pid);
    const onData = (chunk: Buffer) => {
      this.outputTail = (this.outputTail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exitPromise = new Promise((resolve) => child.once('exit', () => resolve()));
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

  /** The last output lines, for error messages. */
  output(): string {
    return this.outputTail;
  }

  /** Sends `signal`; for SIGKILL/SIGTERM resolves once the process has exited. */
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

  /** Resolves when the output matches `pattern`; rejects on exit or timeout. */
  async waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (pattern.test(this.outputTail)) return;
      if (!this.running())
        throw new Error(
          `${this.spec.name} exited before printing ${pattern}:\n${this.outputTail.slice(-3000)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `${this.spec.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.outputTail.slice(-3000)}`,
    );
  }

  /** Forgets the output seen so far (so a restart waits for fresh lines). */
  clearOutput(): void {
    this.outputTail = '';
  }
}
