// Prometheus metrics: request counts and latencies by route template and status. The registry
// belongs to one app (no global default registry), so tests can run many apps side by side.
import { routePath } from 'hono/route';
import { createMiddleware } from 'hono/factory';
import type { MiddlewareHandler } from 'hono';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  middleware: MiddlewareHandler;
}

export function createHttpMetrics(options: { processMetrics: boolean }): HttpMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'flagstaff_' });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'flagstaff_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'flagstaff_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // Label lookups are memoised per (method, route, status): prom-client hashes labels on every
  // call otherwise, and this runs on every request of the SDK hot path.
  const children = new Map<string, { count: { inc(): void }; time: { observe(seconds: number): void } }>();
  const middleware = createMiddleware(async (c, next) => {
    const start = performance.now();
    await next();
    // The route template (`/api/v1/keys/:id`), never the raw path, keeps label cardinality bounded.
    const route = routePath(c) === '/*' ? 'unmatched' : routePath(c);
    const id = `${c.req.method} ${route} ${c.res.status}`;
    let child = children.get(id);
    if (!child) {
      const labels = [c.req.method, route, String(c.res.status)] as const;
      child = { count: requests.labels(...labels), time: duration.labels(...labels) };
      children.set(id, child);
    }
    child.count.inc();
    child.time.observe((performance.now() - start) / 1000);
  });
  return { registry, middleware };
}
