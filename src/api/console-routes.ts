import path from 'node:path';
import express, { Router } from 'express';

/**
 * Where `npm run build` puts the compiled console (index.html, CSS and ES modules). Resolved from
 * the project root so it is the same from dist/api (production) and src/api (ts-jest tests).
 */
export const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '..', '..', 'dist', 'console');

/**
 * The web console at `/`: static files only, no server-side rendering and no API of its own —
 * the page calls the same public REST and SSE endpoints as any client. Served under the API's
 * Content Security Policy (helmet), so the page has no inline script or style.
 */
export function consoleRoutes(dir: string = DEFAULT_CONSOLE_DIR): Router {
  const router = Router();
  const assets = express.static(dir, {
    index: false,
    fallthrough: true,
    // Rebuilt files must show on reload; they are small and served from the same origin.
    maxAge: 0,
  });
  router.get(['/', '/index.html'], (_req, res, next) => {
    res.sendFile(path.join(dir, 'index.html'), (err) => {
      // Not built (e.g. `tsc` only): the API answers its JSON 404 instead of an empty page.
      if (err) next();
    });
  });
  router.use('/console', assets);
  return router;
}
