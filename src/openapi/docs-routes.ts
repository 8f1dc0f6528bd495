// The API reference: `/api/openapi.json` is generated from the same zod schemas that validate
// requests; `/api/docs` renders it with Swagger UI served from our own node_modules, so the page
// loads nothing from the internet.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AppRouter } from '../http/app-env.ts';

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
// A Map, not an object literal: `constructor` or `__proto__` must not find something inherited.
const assets = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['docs-init.js', 'text/javascript; charset=utf-8'],
]);

// Kept in a file of its own so that the page can forbid inline scripts. A key typed into
// "Authorize" lives as long as the tab: persisted, it would sit in localStorage, where any script
// on this origin (and anyone at the machine later) could read it.
const initScript = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', deepLinking: true,
  persistAuthorization: false, tryItOutEnabled: true });`;

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flagstaff API reference</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/docs-init.js"></script>
</body>
</html>`;

export function docsRoutes(app: AppRouter, version: string): void {
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Flagstaff API',
      version,
      description:
        'Feature flags and experiments. Management routes take an admin key (`Authorization: Bearer fs_admin_…`) or a dashboard session (cookie + `X-CSRF-Token` on mutations); SDK routes take a client or server key. `x-flagstaff-access` on each operation says who may call it.',
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'flagstaff_session',
  });

  app.get('/api/docs', (c) => {
    c.header(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    return c.html(page);
  });
  const cache = new Map<string, Buffer | string>();
  app.get('/api/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = assets.get(file);
    if (!type) return c.notFound();
    let body = cache.get(file);
    if (body === undefined) {
      body = file === 'docs-init.js' ? initScript : await readFile(join(swaggerDir, file));
      cache.set(file, body);
    }
    c.header('Content-Type', type);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(typeof body === 'string' ? body : new Uint8Array(body));
  });
}
