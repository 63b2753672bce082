import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { problem } from './problem';

/** The bundle `npm run build` makes: dist/console, found from the built service (dist/src/http) or the source (src/http). */
export function consoleDirectory(): string | undefined {
  // From the source, ../../console is the console's source, not the bundle: the bundle is where app.js is.
  return [join(__dirname, '..', '..', 'console'), join(__dirname, '..', '..', 'dist', 'console')].find((dir) =>
    existsSync(join(dir, 'app.js')),
  );
}

/**
 * The console's pages may run scripts, styles and requests from this origin
 * only (no CDN, nothing inline but the diff view's styles), and may not be
 * framed: an auditor's screen is not to be overlaid by another site.
 */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

const FILES = new Set(['app.js', 'app.js.map', 'console.css', 'jsondiffpatch.css', 'favicon.svg']);

/**
 * The web console at `/`: static files only. It is a client of the API like
 * any other, so authentication and roles are the API's; the page itself holds
 * no data and is served to anyone.
 */
export function consoleRoutes(directory: string | null = consoleDirectory() ?? null): Router {
  const router = Router();
  router.use((req, res, next) => {
    // Browsers ask for /favicon.ico whatever the page says.
    const file = req.path === '/' ? 'index.html' : req.path === '/favicon.ico' ? 'favicon.svg' : req.path.slice(1);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (file !== 'index.html' && !FILES.has(file))) return next();
    if (!directory) {
      return next(
        problem(
          503,
          'console-not-built',
          'Console not built',
          'the console is built by npm run build; run it and restart',
        ),
      );
    }
    res
      .setHeader('Content-Security-Policy', CONSOLE_CSP)
      .setHeader('X-Content-Type-Options', 'nosniff')
      .setHeader('X-Frame-Options', 'DENY')
      .setHeader('Referrer-Policy', 'no-referrer');
    res.sendFile(file, { root: directory, maxAge: file === 'index.html' ? 0 : '5m' }, (error?: Error) => {
      // A file of the list missing from the bundle is not there: the API's 404, not a server fault.
      if (error) next((error as { statusCode?: number }).statusCode === 404 ? undefined : error);
    });
  });
  return router;
}
