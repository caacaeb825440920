'use strict';
/**
 * Build step of `npm run build`: copies the web console's static files (HTML, CSS, icon) next to
 * its compiled modules in dist/console, which the API serves at `/`.
 */
const { cpSync, mkdirSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const to = path.join(root, 'dist', 'console');
mkdirSync(to, { recursive: true });
cpSync(path.join(root, 'src', 'console', 'static'), to, { recursive: true });
