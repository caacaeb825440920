/** Jest global teardown: stops the dev server started by test/global-setup.ts. */
import { promises as fs } from 'node:fs';
import { GLOBAL_TEMPORAL_KEY, type GlobalTemporalState } from './global-setup';
import { TEST_TEMPORAL_STATE_FILE } from './helpers/temporal';

export default async function globalTeardown(): Promise<void> {
  const globals = globalThis as Record<string, unknown>;
  const state = globals[GLOBAL_TEMPORAL_KEY] as GlobalTemporalState | undefined;
  if (state === undefined) return;
  delete globals[GLOBAL_TEMPORAL_KEY];

  await state.server?.stop();
  if (state.tempDir !== undefined) {
    await fs.rm(state.tempDir, { recursive: true, force: true });
  }
  // Remove the state file only if it is still ours (a concurrent jest run may have replaced it).
  try {
    const onDisk = JSON.parse(await fs.readFile(TEST_TEMPORAL_STATE_FILE, 'utf8')) as {
      address?: string;
    };
    if (onDisk.address === state.info.address)
      await fs.rm(TEST_TEMPORAL_STATE_FILE, { force: true });
  } catch {
    // Already gone.
  }
}
