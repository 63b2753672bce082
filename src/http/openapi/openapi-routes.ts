import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { Router } from 'express';
import { openApiDocument } from './document';

/** The package's own version, for the description's info.version. */
function packageVersion(): string {
  for (const up of ['../../..', '../../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'configledger' && pkg.version) return pkg.version;
    } catch {
      // not here: from dist/ the package is one level further up
    }
  }
  return '0.0.0';
}

/** Swagger UI's files this page uses; the rest of the package (its demo initializer, source maps) is not served. */
const UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ConfigLedger API reference</title>
<link rel="icon" href="favicon-32x32.png">
<link rel="stylesheet" href="swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="swagger-ui-bundle.js"></script>
<script src="init.js"></script>
</body>
</html>
`;

// A file of its own, not an inline script: the page's Content-Security-Policy allows scripts from 'self' only.
const INIT = `window.ui = SwaggerUIBundle({
  url: '../openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  persistAuthorization: false,
  validatorUrl: null,
});
`;

/**
 * GET /api/v1/openapi.json, the description generated from the routes'
 * schemas, and /api/v1/reference/, an interactive page for it (Swagger UI,
 * served from the npm package: no CDN). Both are public: they describe the
 * API and hold no data; "Try it out" calls send the token the reader gives.
 */
export function openApiRoutes(): Router {
  const router = Router();
  const document = JSON.stringify(openApiDocument(packageVersion()));
  const ui = dirname(require.resolve('swagger-ui-dist/package.json'));
  router.get('/api/v1/openapi.json', (_req, res) => {
    res.type('application/json').setHeader('Cache-Control', 'no-cache').send(document);
  });
  router.get('/api/v1/reference', (req, res) => {
    // The page's files are relative to it: it must be read at the address with the slash.
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) return res.redirect(301, '/api/v1/reference/');
    res.type('html').setHeader('Content-Security-Policy', REFERENCE_CSP).send(PAGE);
  });
  router.get('/api/v1/reference/init.js', (_req, res) => {
    res.type('text/javascript').send(INIT);
  });
  const files = express.static(ui, { index: false, maxAge: '1h' });
  router.use('/api/v1/reference', (req, res, next) => {
    if (req.method === 'GET' && UI_FILES.includes(req.path.slice(1))) files(req, res, next);
    else next();
  });
  return router;
}

/** Swagger UI renders some styles inline and shows data: images; scripts come only from here. */
const REFERENCE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
