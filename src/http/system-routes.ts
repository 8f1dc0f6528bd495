// Operational endpoints: liveness and readiness, public as load balancers expect (they reveal
// nothing); Prometheus metrics (request counts by route, queue depths, memory), for an admin key or
// user, or a scraper's METRICS_TOKEN, unless METRICS_PUBLIC opens them to anyone.
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { Registry } from 'prom-client';
import { isAllowed } from '../auth/access.ts';
import { sha256 } from '../auth/secrets.ts';
import type { Db } from '../db/open-db.ts';
import { AppError } from '../errors.ts';
import type { AppEnv, AppRouter } from './app-env.ts';
import { errorBody } from './error-handler.ts';
import { requestHeader } from './node-headers.ts';

export interface MetricsAccess {
  public: boolean;
  /** A bearer token that may read /metrics. */
  token?: string;
}

function checkMetricsAccess(c: Context<AppEnv>, access: MetricsAccess): void {
  if (access.public) return;
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(requestHeader(c, 'authorization') ?? '')?.[1];
  if (access.token && presented) {
    // Compared as digests, in constant time, so the comparison's timing tells nothing.
    const [given, wanted] = [presented, access.token].map((s) => Buffer.from(sha256(s), 'hex'));
    if (timingSafeEqual(given!, wanted!)) return;
  }
  const principal = c.get('principal');
  if (principal && isAllowed({ role: 'admin' }, principal)) return;
  if (principal) throw new AppError('forbidden', '/metrics needs an admin key or user, or METRICS_TOKEN');
  throw new AppError(
    'unauthorized',
    '/metrics needs "Authorization: Bearer <METRICS_TOKEN or an admin key>" (or METRICS_PUBLIC=true)',
  );
}

export function systemRoutes(
  app: AppRouter,
  deps: { db: Db; registry: Registry; metricsAccess: MetricsAccess },
): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', (c) =>
    deps.db.ping()
      ? c.json({ status: 'ready' })
      : c.json(errorBody(c, 'unavailable', 'database unreachable'), 503),
  );
  app.get('/metrics', async (c) => {
    checkMetricsAccess(c, deps.metricsAccess);
    c.header('Content-Type', deps.registry.contentType);
    return c.body(await deps.registry.metrics());
  });
}
