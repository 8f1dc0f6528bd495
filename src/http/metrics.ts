// Prometheus metrics: request counts and latencies by route template and status. The registry
// belongs to one app (no global default registry), so tests can run many apps side by side.
// The HTTP series are counted in plain arrays and handed to prom-client only when scraped:
// prom-client's observe() hashes its labels on every call, a visible share of answering an SDK's
// 304, for series that only change at scrape time anyway.
import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  /** Counts a finished request on a route template and its latency since `start` (performance.now()). */
  record(method: string, route: string, status: number, start: number): void;
}

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** Requests per bucket (not cumulative); the last slot is above every bound. */
  perBucket: number[];
}

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };

/**
 * Registers a metric whose values are read at scrape time, formatted by prom-client like its own
 * (this is what `Registry.registerMetric` reads from a metric).
 */
export function registerScraped(
  registry: Registry,
  name: string,
  help: string,
  type: 'counter' | 'gauge' | 'histogram',
  values: () => Sample[],
): void {
  const metric = { name, help, type, get: () => ({ name, help, type, aggregator: 'sum', values: values() }) };
  registry.registerMetric(metric as unknown as Metric);
}

export function createHttpMetrics(options: { processMetrics: boolean }): HttpMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'flagstaff_' });
  // Keyed by method, then route, then status: no string is built per request.
  const series = new Map<string, Map<string, Map<number, Series>>>();
  const all: Series[] = [];

  const record = (method: string, route: string, status: number, start: number) => {
    const seconds = (performance.now() - start) / 1000;
    let byRoute = series.get(method);
    if (!byRoute) series.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      s = {
        labels: { method, route, status: String(status) },
        count: 0,
        sum: 0,
        perBucket: BUCKETS.map(() => 0),
      };
      s.perBucket.push(0);
      byStatus.set(status, s);
      all.push(s);
    }
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    s.perBucket[i]!++;
  };

  registerScraped(
    registry,
    'flagstaff_http_requests_total',
    'HTTP requests by method, route template and status',
    'counter',
    () => all.map((s) => ({ value: s.count, labels: s.labels })),
  );
  const name = 'flagstaff_http_request_duration_seconds';
  registerScraped(
    registry,
    name,
    'HTTP request latency by method, route template and status',
    'histogram',
    () =>
      all.flatMap((s) => {
        let cumulative = 0;
        const buckets = [...BUCKETS, '+Inf' as const].map((le, i) => {
          cumulative += s.perBucket[i]!;
          return { value: cumulative, labels: { le, ...s.labels }, metricName: `${name}_bucket` };
        });
        return [
          ...buckets,
          { value: s.sum, labels: s.labels, metricName: `${name}_sum` },
          { value: s.count, labels: s.labels, metricName: `${name}_count` },
        ];
      }),
  );
  return { registry, record };
}
