// Operational endpoints: liveness, readiness and Prometheus metrics. Public, as load balancers and
// scrapers expect; they reveal nothing about flags or users.
import type { Registry } from 'prom-client';
import type { Db } from '../db/open-db.ts';
import type { AppRouter } from './app-env.ts';
import { errorBody } from './error-handler.ts';

export function systemRoutes(app: AppRouter, deps: { db: Db; registry: Registry }): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', (c) =>
    deps.db.ping()
      ? c.json({ status: 'ready' })
      : c.json(errorBody(c, 'unavailable', 'database unreachable'), 503),
  );
  app.get('/metrics', async (c) => {
    c.header('Content-Type', deps.registry.contentType);
    return c.body(await deps.registry.metrics());
  });
}
