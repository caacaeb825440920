/**
 * Runs `stop` once on SIGINT/SIGTERM, or when a supervising parent (`npm start`) goes away — the
 * IPC channel closing is how a child learns its parent died, so no process is left orphaned.
 */
export function onShutdown(stop: (reason: string) => Promise<void>): void {
  let stopping = false;
  const trigger = (reason: string) => {
    if (stopping) return;
    stopping = true;
    stop(reason).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a repeated signal during a slow drain must not fall through to Node's
  // default action (immediate death) while in-flight work is still finishing.
  process.on('SIGINT', () => trigger('SIGINT'));
  process.on('SIGTERM', () => trigger('SIGTERM'));
  if (process.send) process.once('disconnect', () => trigger('parent exited'));
}
