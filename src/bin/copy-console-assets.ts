import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Build step of `npm run build`: copies the web console's static files (HTML, CSS, icon) next to
 * its compiled modules in dist/console, which the API serves at `/`.
 */
function main(): void {
  const root = path.resolve(__dirname, '..', '..');
  const from = path.join(root, 'src', 'console', 'static');
  const to = path.join(root, 'dist', 'console');
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true });
}

main();
