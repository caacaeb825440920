import { existsSync } from 'node:fs';
import path from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';

/** File name of the pre-built workflow bundle that `npm run build` writes next to dist/bin. */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';
/** The same workflows with OpenTelemetry's workflow interceptors bundled in. */
export const TRACED_WORKFLOW_BUNDLE_FILE = 'workflow-bundle-traced.js';

/** The OpenTelemetry workflow interceptor module (bundled into the traced variant). */
export const OTEL_WORKFLOW_INTERCEPTORS =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** Default location of a pre-built bundle: dist/workflow-bundle(-traced).js. */
export function defaultWorkflowBundlePath(options: { traced?: boolean } = {}): string {
  return path.resolve(
    __dirname,
    '..',
    options.traced ? TRACED_WORKFLOW_BUNDLE_FILE : WORKFLOW_BUNDLE_FILE,
  );
}

/**
 * Where a worker gets its workflow code: a pre-built bundle when one exists (fast start, the
 * exact code that was tested), otherwise bundling the workflows folder at start-up.
 */
export function workflowSource(
  bundlePath: string | undefined,
  options: { traced?: boolean } = {},
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'interceptors'> {
  const codePath = bundlePath ?? defaultWorkflowBundlePath(options);
  if (existsSync(codePath)) return { workflowBundle: { codePath } };
  if (bundlePath) throw new Error(`WORKFLOW_BUNDLE_PATH points at a missing file: ${bundlePath}`);
  return {
    workflowsPath: require.resolve('../workflows'),
    ...(options.traced ? { interceptors: { workflowModules: [OTEL_WORKFLOW_INTERCEPTORS] } } : {}),
  };
}
