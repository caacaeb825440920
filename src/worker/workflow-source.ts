import { existsSync } from 'node:fs';
import path from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';

/** File name of the pre-built workflow bundle that `npm run build` writes next to dist/bin. */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

/** Default location of the pre-built bundle: dist/workflow-bundle.js. */
export function defaultWorkflowBundlePath(): string {
  return path.resolve(__dirname, '..', WORKFLOW_BUNDLE_FILE);
}

/**
 * Where a worker gets its workflow code: a pre-built bundle when one exists (fast start, the
 * exact code that was tested), otherwise bundling the workflows folder at start-up.
 */
export function workflowSource(
  bundlePath: string | undefined,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const codePath = bundlePath ?? defaultWorkflowBundlePath();
  if (existsSync(codePath)) return { workflowBundle: { codePath } };
  if (bundlePath) throw new Error(`WORKFLOW_BUNDLE_PATH points at a missing file: ${bundlePath}`);
  return { workflowsPath: require.resolve('../workflows') };
}
