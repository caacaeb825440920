import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The repository root: the nearest ancestor of `from` holding package.json. Found by walking up
 * rather than a fixed `../..` because this code runs compiled both in dist/ and in the bench
 * build (dist/bench-build/src/…).
 */
export function findProjectRoot(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (let i = 0; i < 12; i += 1) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`no package.json above ${from}`);
}

/** `dist/bin/<name>.js` of the main build (the entry points `npm run build` writes). */
export function distEntryPoint(name: string): string {
  return path.join(findProjectRoot(), 'dist', 'bin', `${name}.js`);
}
