import { describeExit, ManagedProcess } from '../stack/managed-process';

/** One supervised Node child process of `npm start`. */
export interface ChildSpec {
  name: string;
  script: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** A running instance of a supervised service. */
export interface RunningService {
  pid: number | undefined;
  /** Resolves with a description ("was killed by SIGKILL") when the instance dies. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/** A service the supervisor (re)starts: a Node child, or e.g. the Temporal dev server. */
export interface ServiceSpec {
  name: string;
  /** Starts one instance; resolves once it is usable. Rejecting counts as a crash. */
  start(): Promise<RunningService>;
  /**
   * Stopped after every other service, in reverse start order: infrastructure (the Temporal
   * server) the others need while they drain.
   */
  infrastructure?: boolean;
}

/** Restarts of a crashing service are spaced by this much, so a broken config doesn't spin. */
const RESTART_DELAY_MS = 1_000;
/** A child that ignores SIGTERM this long is killed. */
const STOP_TIMEOUT_MS = 30_000;

interface Slot {
  spec: ServiceSpec;
  current?: RunningService;
}

/**
 * Runs the stack's services and restarts any that dies, like a minimal process manager. Node
 * children get an IPC channel: if the supervisor dies, the channel closes and they shut down, so
 * no orphan outlives `npm start`; the Temporal server is killed on our exit by its wrapper.
 */
export class Supervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;

  constructor(private readonly log: (line: string) => void) {}

  /** Supervises a Node child process (started at once, not awaited). */
  start(spec: ChildSpec): void {
    void this.supervise({
      name: spec.name,
      start: () => {
        const child = new ManagedProcess({
          name: spec.name,
          script: spec.script,
          args: spec.args,
          env: spec.env,
          ipc: true,
          output: 'inherit',
        });
        child.start();
        return Promise.resolve({
          pid: child.pid,
          exited: child.exited().then(describeExit),
          stop: () => child.stop(STOP_TIMEOUT_MS),
        });
      },
    }).catch(() => undefined);
  }

  /**
   * Starts a service and keeps it running: whenever an instance exits (or a restart fails), a new
   * one is started after a short delay. Resolves once the first instance is up; rejects (and gives
   * up on the service) if the first start fails, so a broken setup is reported at once.
   */
  async supervise(spec: ServiceSpec): Promise<RunningService> {
    const slot: Slot = { spec };
    this.slots.push(slot);
    try {
      const first = await spec.start();
      this.watch(slot, first);
      return first;
    } catch (err) {
      this.slots.splice(this.slots.indexOf(slot), 1);
      throw err;
    }
  }

  /** Supervises a service whose first instance the caller already started. */
  adopt(spec: ServiceSpec, running: RunningService): void {
    const slot: Slot = { spec };
    this.slots.push(slot);
    this.watch(slot, running);
  }

  private watch(slot: Slot, instance: RunningService): void {
    slot.current = instance;
    void instance.exited.then((how) => {
      if (slot.current === instance) slot.current = undefined;
      if (this.stopping) return;
      this.log(`${slot.spec.name} ${how}; restarting in ${RESTART_DELAY_MS} ms`);
      this.restartLater(slot);
    });
  }

  private restartLater(slot: Slot): void {
    setTimeout(() => {
      if (this.stopping) return;
      slot.spec.start().then(
        (instance) => {
          if (this.stopping) void instance.stop();
          else {
            this.log(`${slot.spec.name} restarted (pid ${instance.pid ?? '?'})`);
            this.watch(slot, instance);
          }
        },
        (err: unknown) => {
          this.log(
            `${slot.spec.name} failed to restart (${(err as Error).message.split('\n')[0]}); ` +
              `retrying in ${RESTART_DELAY_MS} ms`,
          );
          this.restartLater(slot);
        },
      );
    }, RESTART_DELAY_MS).unref();
  }

  /** Process ids of the running services, by name. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries(
      this.slots.filter((slot) => slot.current).map((slot) => [slot.spec.name, slot.current!.pid]),
    );
  }

  /**
   * Stops everything: first the ordinary services together (SIGTERM; SIGKILL after 30 s), then
   * the infrastructure ones one by one in reverse start order.
   */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const running = this.slots.filter((slot) => slot.current);
    await Promise.all(
      running.filter((slot) => !slot.spec.infrastructure).map((slot) => slot.current!.stop()),
    );
    for (const slot of running.filter((s) => s.spec.infrastructure).reverse()) {
      await slot.current?.stop();
    }
    this.slots.length = 0;
  }
}
