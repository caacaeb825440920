import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { defaultWorkflowBundlePath } from '../worker/workflow-source';

/**
 * Build step: bundles the workflow code once (dist/workflow-bundle.js) so workers start fast and
 * run exactly the code that was built and tested.
 */
async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: {
      trace() {},
      debug() {},
      info() {},
      warn: console.warn,
      error: console.error,
      log() {},
    },
  });
  const target = defaultWorkflowBundlePath();
  await writeFile(target, code);
  process.stdout.write(
    `workflow bundle written to ${target} (${Math.round(code.length / 1024)} KiB)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`workflow bundle failed: ${(err as Error).message}\n`);
  process.exit(1);
});
