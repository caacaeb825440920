/**
 * Runs a TypeScript entry point (a bench baseline's worker or service) as its own Node process,
 * so a test can SIGKILL it. The child loads the .ts sources through a small require hook that
 * transpiles them with TypeScript (no type check: the suite's typecheck covers that), so the test
 * needs no prior `tsc -p tsconfig.bench.json`.
 */
import path from 'node:path';
import { ManagedProcess } from '../../src/stack/managed-process';

const REGISTER = `
const ts = require('typescript');
const fs = require('node:fs');
require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  module._compile(out.outputText, filename);
};
require(process.env.TS_ENTRY);
`;

/** A managed process running `entry` (a path relative to the repository root). */
export function tsEntryProcess(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
): ManagedProcess {
  const root = path.join(__dirname, '..', '..');
  return new ManagedProcess({
    name,
    script: '-e',
    args: [REGISTER],
    env: { ...env, TS_ENTRY: path.join(root, entry) },
    cwd: root,
    outputLimit: 200_000,
  });
}
