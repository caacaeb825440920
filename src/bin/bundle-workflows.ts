import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { helpOrNoArgs, type CommandUsage } from '../runtime/cli-args';
import { FAILURE_CONVERTER_PATH } from '../security/data-converter';
import { OTEL_WORKFLOW_INTERCEPTORS, defaultWorkflowBundlePath } from '../worker/workflow-source';

/**
 * Build step: bundles the workflow code once (dist/workflow-bundle.js) so workers start fast and
 * run exactly the code that was built and tested.
 */
const USAGE: CommandUsage = {
  synopsis: 'node dist/bin/bundle-workflows.js   (the last step of `npm run build`)',
  summary:
    'Bundles the workflow code into dist/workflow-bundle.js (and a traced variant) so workers ' +
    'start fast and run exactly the code that was built and tested.',
  example: 'npm run build',
};

async function main(): Promise<void> {
  if (helpOrNoArgs(USAGE)) return;
  const logger = {
    trace() {},
    debug() {},
    info() {},
    warn: console.warn,
    error: console.error,
    log() {},
  };
  const variants = [
    { target: defaultWorkflowBundlePath(), interceptors: [] as string[] },
    // Workers with tracing on load this one: workflow interceptor modules must be bundled in.
    {
      target: defaultWorkflowBundlePath({ traced: true }),
      interceptors: [OTEL_WORKFLOW_INTERCEPTORS],
    },
  ];
  for (const variant of variants) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      workflowInterceptorModules: variant.interceptors,
      // Failures raised by workflow code are converted inside the sandbox with the converter baked
      // in here: the encoding one, so their messages can be encrypted like every other payload.
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger,
    });
    await writeFile(variant.target, code);
    process.stdout.write(
      `workflow bundle written to ${variant.target} (${Math.round(code.length / 1024)} KiB)\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`workflow bundle failed: ${(err as Error).message}\n`);
  process.exit(1);
});
